/**
 * The I/O half of planning: fetches what `planSlices` needs (the run list) so that planning itself
 * stays pure.
 */
import type { DqmClient, CallOptions } from './types.js';
import { runListFilters, type PlanContext, type StreamSpec } from './plan.js';

/**
 * Lists the server's runs when the stream is sliced by run and does not name its runs. Sends
 * `run_number` when the stream names a single run; otherwise lists all runs (the runs endpoint has no
 * range filter) and leaves the filtering to `planSlices`.
 */
export async function loadPlanContext(
  client: DqmClient,
  stream: StreamSpec,
  options: CallOptions = {},
): Promise<PlanContext> {
  const byRun = (stream.sliceBy ?? []).some((d) => d === 'run' || d === 'run-range');
  if (!byRun || stream.runs) return {};
  const runs = await client.listAll('runs', runListFilters(stream.endpoint, stream.filters ?? {}), options);
  return { runs: runs.map((r) => r.run_number) };
}
