/**
 * The pipeline's optional `prepare` steps, run before any stream: `discover` new data files, and
 * `start_parsing` of matching files, waiting (past the server's 60 s list cache) until parsed.
 */
import type { Pipeline } from '../../config/index.js';
import { ServerError } from '../../errors.js';
import type { DqmClient } from '../../extract/index.js';
import type { Logger } from '../../log.js';

/** Runs the steps in order; a step that fails or a parse that stalls throws. */
export async function runPrepareSteps(
  client: DqmClient,
  steps: NonNullable<Pipeline['prepare']>,
  o: { logger: Logger; signal?: AbortSignal },
): Promise<void> {
  for (const step of steps) {
    if ('discover' in step) {
      o.logger.info('prepare: discover');
      await client.discover({ signal: o.signal });
      continue;
    }
    const p = step.start_parsing;
    const files = await client.listDataFiles({ filepath__contains: p.filepath__contains }, { bustCache: true });
    if (files.length === 0)
      throw new ServerError(
        'E_PREPARE_NO_FILE',
        `prepare.start_parsing: no histogram data file matches filepath__contains=${p.filepath__contains}`,
      );
    for (const f of files) {
      const done =
        f.contents.some((c) => c.granularity === p.granularity && c.data_dimensionality === p.data_dimensionality) &&
        f.percentage_processed >= 100;
      if (done) continue;
      o.logger.info({ file: f.filepath }, 'prepare: start_parsing');
      if (f.percentage_processed === 0) {
        await client.startParsing(f.id, {
          granularity: p.granularity,
          dataDimensionality: p.data_dimensionality,
          fileFormat: p.file_format as 'csv',
        });
      }
      if (p.wait)
        await client.waitForDataFile(f.id, {
          timeoutMs: p.timeout_s * 1000,
          stallMs: p.stall_s * 1000,
          signal: o.signal,
        });
    }
  }
}
