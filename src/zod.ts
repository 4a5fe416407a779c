/**
 * zod, configured once for the whole tool; every schema imports `z` from here.
 *
 * `jitless`: zod 4 compiles an object schema's validator with `new Function` the first time the
 * schema parses something. That pays for schemas that parse many values; ours parse one pipeline
 * file, one plan file or one DIALS mapping per process, so the compile is pure start-up cost:
 * `loadPipeline` of pipelines/demo.yaml took 55-90 ms jitless against 93-208 ms compiled (four
 * alternated runs each, load 8; docs/decisions.md). Results and error messages are the same.
 */
import { z } from 'zod';

z.config({ jitless: true });

export { z };
