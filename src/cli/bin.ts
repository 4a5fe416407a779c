#!/usr/bin/env node
/** The `dqm-export` executable: runs the CLI and sets the exit code. */
import { hideBin } from 'yargs/helpers';
import { main } from './main.js';

process.exitCode = await main(hideBin(process.argv));
