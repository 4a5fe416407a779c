/**
 * zod, configured once for the whole tool; every schema takes it from here as `import * as z`.
 * A namespace import, not zod's `z` export: `z` is a namespace object, which the CLI's bundle then
 * builds at every start-up, one getter per export of zod and of zod's core (over 800), and which
 * keeps every zod export in the bundle. With `import * as z`, esbuild turns each `z.object` into a
 * direct reference and leaves out what is not used (docs/decisions.md, "CLI start-up: zod imported
 * as a module namespace"; eslint.config.js refuses a named `z`).
 *
 * `jitless`: zod 4 compiles an object schema's validator with `new Function` the first time the
 * schema parses something. That pays for schemas that parse many values; ours parse one pipeline
 * file, one plan file or one DIALS mapping per process, so the compile is pure start-up cost:
 * `loadPipeline` of pipelines/demo.yaml took 55-90 ms jitless against 93-208 ms compiled (four
 * alternated runs each, load 8; docs/decisions.md). Results and error messages are the same.
 */
import { config } from 'zod';

config({ jitless: true });

export * from 'zod';
