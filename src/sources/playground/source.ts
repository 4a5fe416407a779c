/**
 * DQM Playground (page numbers, unordered lists) behind the Source interface: planning from the run
 * list, the page-number executor with its exactly-once and repair logic (src/extract/execute.ts), and
 * page-1 probes for estimates. The ML4DQM CSV source answers the same `DqmClient` calls in process,
 * so it sits behind this adapter too, with `kind` and `origin` of its own.
 */
import type { Stream } from '../../config/index.js';
import type { Endpoint } from '../../domain.js';
import { extractSlices, speculativePagesOn, type DqmClient, type Slice } from '../../extract/index.js';
import { runPrepareSteps } from './prepare.js';
import { planStream, probeSlices, streamSpecFor } from './stream-plan.js';
import type { Source, SourceEvent, SourceKind } from '../source.js';

/** Wraps a DQM Playground-shaped client as a Source. */
export function pageNumberSource(client: DqmClient, kind: SourceKind = 'dqm-playground'): Source {
  return {
    kind,
    origin: client.baseUrl,
    concurrency: client.concurrency,
    stats: client.stats,
    async plan(stream, options = {}) {
      return (await planStream(stream, client, options)).slices;
    },
    estimate(slices, options = {}) {
      return probeSlices(client, slices as readonly Slice[], options);
    },
    async *extract(slices, options = {}): AsyncGenerator<SourceEvent> {
      // Only HTTP pages are decoded: the CSV client builds its records in process.
      const http = kind === 'dqm-playground';
      const pages = http && pageDecoderOn() ? packedHistogramPages(client) : client;
      // Fewer slices than connections: the connections their first pages leave idle fetch page 2 of
      // as many slices with them, one page ahead per slice at most, so a slice of one page costs one
      // request past its end at most, and a single slice none (ExtractOptions.speculativePages;
      // docs/decisions.md, "`run`: the first pages' round fills every connection").
      const spare = Math.max(0, client.concurrency - slices.length);
      const ahead = http && slices.length > 1 && speculativePagesOn() ? Math.min(spare, slices.length) : 0;
      const run = { ...options, speculativePages: ahead };
      for await (const event of extractSlices(pages, slices as readonly Slice<Endpoint>[], run)) {
        if (event.type === 'batch')
          yield { type: 'batch', slice: event.slice, records: event.records, bytes: event.bytes };
        else
          yield {
            type: 'slice-done',
            slice: event.slice,
            report: { ...event.report, ...(event.report.total !== null ? { proof: 'server-total' as const } : {}) },
          };
      }
    },
    provenance(stream: Stream, minRun?: number) {
      const spec = streamSpecFor(stream, minRun);
      return {
        sourceUrl: `${client.baseUrl}/api/${stream.endpoint}/`,
        endpoint: stream.endpoint,
        filters: spec.filters ?? {},
      };
    },
    prepare: (steps, options) => runPrepareSteps(client, steps, options),
    close: () => client.close(),
  };
}

/**
 * True unless `DQM_EXPORT_PAGE_DECODER=0`: the switch lets bench/run-e2e.ts measure the export with
 * JSON.parse pages against the decoder in the same run (the output is the same either way).
 */
function pageDecoderOn(): boolean {
  return process.env.DQM_EXPORT_PAGE_DECODER !== '0';
}

/**
 * The client with histogram list pages decoded into typed `data` (ListPageOptions.packedHistograms):
 * the records of an export go straight to the transform, which copies typed values with one
 * `.set()`, and JSON.parse never builds their arrays (bench/load.ts measures both).
 */
function packedHistogramPages(client: DqmClient): DqmClient {
  return {
    ...client,
    listPage: (endpoint, filters, page, options) =>
      client.listPage(endpoint, filters, page, { ...options, packedHistograms: true }),
    listNext: (endpoint, next, options) => client.listNext(endpoint, next, { ...options, packedHistograms: true }),
  };
}
