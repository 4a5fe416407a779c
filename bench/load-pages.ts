/**
 * Deterministic synthetic JSON pages of 2D histograms as the real server serves them: 50 records per
 * page, 72 x 56 bins of integer counts written as floats (`33.0`), compact separators (DRF's
 * default), a dead block in PXLayer_1 like the sample data. About 20 KB of JSON per record.
 */

const Y = 72;
const X = 56;
const PER_PAGE = 50;

/** A small linear congruential generator: same pages on every run and machine. */
function lcg(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 0x100000000;
  };
}

/** The JSON text of page `index` (records `index * 50 ...`), ~1 MB. */
export function histogramPage(index: number, totalRecords: number): string {
  const rnd = lcg(index + 1);
  const records: string[] = [];
  for (let k = 0; k < PER_PAGE; k++) {
    const id = index * PER_PAGE + k + 1;
    const layer = (id % 2) + 1;
    const rows: string[] = [];
    for (let iy = 0; iy < Y; iy++) {
      const row: string[] = [];
      for (let ix = 0; ix < X; ix++) {
        const dead = layer === 1 && ix < 7 && iy < 9;
        const base = 30 + 40 * Math.sin(iy / 11) * Math.cos(ix / 9) + 30;
        row.push(dead ? '0.0' : Math.floor(base * (0.5 + rnd())) + '.0');
      }
      rows.push('[' + row.join(',') + ']');
    }
    records.push(
      `{"id":${id},"run":${315705 + Math.floor(id / 2000)},"lumisection":${Math.floor(id / 2) % 2000},` +
        `"title":"clusterposition_zphi_ontrack_PXLayer_${layer}","entries":${150000 + Math.floor(rnd() * 10000)},` +
        `"data":[${rows.join(',')}],"x_min":-26.7,"x_max":26.7,"x_bin":${X},"y_max":3.14159,"y_min":-3.14159,"y_bin":${Y},"source_data_file":3}`,
    );
  }
  const pages = Math.ceil(totalRecords / PER_PAGE);
  const next = index + 1 < pages ? `"/api/lumisection_histograms_2d/?page=${index + 2}"` : 'null';
  return `{"next":${next},"previous":null,"total":${totalRecords},"per_page":${PER_PAGE},"total_pages":${Math.round((totalRecords / PER_PAGE) * 10) / 10},"results":[${records.join(',')}]}`;
}

/** Records per page. */
export const RECORDS_PER_PAGE = PER_PAGE;

/**
 * A fixed pool of distinct pages, cycled: generating 1 MB of JSON costs more than parsing it, and
 * 100k records would be 2 GB of text, so the measured loop reuses `poolSize` pre-built pages.
 */
export function pagePool(poolSize: number, totalRecords: number): string[] {
  return Array.from({ length: poolSize }, (_, i) => histogramPage(i, totalRecords));
}
