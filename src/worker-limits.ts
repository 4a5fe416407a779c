/**
 * V8 limits of every worker thread the tool starts (Parquet encoders, CSV parse workers).
 *
 * A 6 MB young generation (2 MB semi-spaces; V8's default grows to 16 MB each). The workers'
 * live data is a few MB (encoders ~6 MB after a full collection); their batches and pages live in
 * ArrayBuffers outside the heap. With the default, V8 grew each encoder's young generation to its
 * maximum as the export went on, and the process's peak RSS with the size of the file: 0.5 GB CSV
 * 220-225 MB, 2.5 GB 280-292 MB (ratio 1.25-1.32, issue #15 wants <= 1.1). With 2 MB semi-spaces
 * (measured as `--max-semi-space-size=2` for the whole process): 194-200 and 197 MB, the same CPU
 * and wall time (docs/decisions.md, "Worker threads: a small young generation"); with only the
 * workers limited, bench/csv.ts gave 215 and 238 MB (1.11); the rest was the main thread's young
 * generation, which a CSV export now holds at its size (src/young-generation.ts).
 */
export const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 6 } as const;
