/**
 * The `histo` cell parser moved to src/json-numbers.ts, shared with the DQM Playground page decoder
 * (src/extract/decode-page.ts); re-exported here for the CSV reader.
 */
export { FALLBACK, parseHistoInto, type HistoTarget } from '../../json-numbers.js';
