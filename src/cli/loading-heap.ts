/**
 * The main thread's young generation held at its start size while `run`'s modules initialise.
 *
 * V8 doubles an isolate's young generation once enough of it survives its scavenges, and nearly
 * everything a module initialiser allocates survives (zod's schemas, apache-arrow's visitors,
 * undici's tables). During a one-record `run`'s module initialisers the main isolate's young
 * generation grew from 1 to 3.8 MB of touched memory, fresh pages that cost ~11 us each to fault in
 * on this virtual machine (a page-touching loop: 10.8-13.6 us per 4 KB page). Held at its size with
 * `--semi-space-growth-factor=1` (which V8 reads at each growth) until the command is loaded, it
 * stayed at 2 MB, for a few more scavenges: one-record `run`, -3.3 ms (53 of 80 alternated pairs;
 * -4.5 and -3.2 ms in a patched copy). On Node 22 and 24 (V8 12 and 13, whose young generation is
 * sized otherwise) the same hold cost +2.4 to +7.2 and +13.1 ms, so it is Node 20's only
 * (`youngGenerationHoldPays`). docs/decisions.md, "CLI start-up: the young generation held while
 * `run` loads".
 *
 * Setting any V8 flag makes Node compile the internal modules it loads afterwards without their code
 * cache (V8 checks the flags' hash; src/cli/code-cache.ts): set without the builtins below loaded
 * first, the hold lost 7.5 ms instead. So the hold first loads the builtins `run`'s initialisers
 * load (test/cli/loading-heap.test.ts fails when one more appears), and ends when the command is
 * loaded, where bin.ts sets the command's own flags anyway.
 */
import { setFlagsFromString } from 'node:v8';

/**
 * The builtins `run`'s modules (an HTTP source) load while they initialise: node:crypto (temporary
 * file names, the config hash), node:net, node:http and node:assert (undici), node:process (a
 * dependency's `require('process')`).
 */
export const RUN_INIT_BUILTINS = ['node:crypto', 'node:net', 'node:http', 'node:assert', 'node:process'] as const;

/** The flag the hold sets; code-cache.ts puts its default back before it makes a cache. */
export const LOADING_V8_FLAGS = ['--semi-space-growth-factor=1'] as const;

/** V8's default growth factor (`node --v8-options`), what `release` puts back. */
const DEFAULT_GROWTH_FACTOR = '--semi-space-growth-factor=2';

/** Whether the hold pays on this runtime: measured on V8 11 (Node 20) only, and a loss on V8 12 and 13. */
export function youngGenerationHoldPays(v8Version: string = process.versions.v8): boolean {
  return Number.parseInt(v8Version, 10) < 12;
}

/**
 * Loads `builtins`, then holds the main isolate's young generation at its size. Returns the
 * release, to call once the command is loaded (idempotent). A code cache made at exit is made under
 * V8's defaults whether or not it was called (src/cli/code-cache.ts, `v8FlagDefaults`).
 */
export function holdYoungGenerationWhileLoading(builtins: readonly string[] = RUN_INIT_BUILTINS): () => void {
  for (const name of builtins) process.getBuiltinModule(name);
  for (const flag of LOADING_V8_FLAGS) setFlagsFromString(flag);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    setFlagsFromString(DEFAULT_GROWTH_FACTOR);
  };
}
