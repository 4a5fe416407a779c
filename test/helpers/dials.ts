/**
 * The data behind the DIALS captures (test/fixtures/dials): `rows.json.gz` holds the 600 th1 and
 * 600 th2 rows (dataset, run, LS, ME, file, entries, axes, data; data null where no capture shows
 * it: those 2D rows are zeros), `map.json` the datasets, files and MEs. `writeDialsCsv` writes them
 * as ML4DQM CSV files (one per DQMIO file and dimensionality, flow bins zero), so the DIALS server
 * is tested through the same path as `serve --api dials --data DIR --dials-map map.json`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';

/** The fixture folder. */
export const DIALS_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'dials');
/** The map file of the fixture data. */
export const DIALS_MAP = join(DIALS_FIXTURES, 'map.json');
/** Credentials the captures were made with (as they read in the captures). */
export const CAPTURE_TOKEN = 'BEARER_TOKEN';
export const CAPTURE_SECRET = 'CLIENT_SECRET';

type Row1 = [number, number, number, number, number, number, number, number, number, number[]];
type Row2 = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number[][] | null,
];

/** The fixture rows. */
export function dialsRows(): { th1: Row1[]; th2: Row2[] } {
  return JSON.parse(gunzipSync(readFileSync(join(DIALS_FIXTURES, 'rows.json.gz'))).toString('utf8')) as {
    th1: Row1[];
    th2: Row2[];
  };
}

const HEADER = 'fromrun,fromlumi,hname,metype,histo,entries,Xmax,Xmin,Xbins,Ymax,Ymin,Ybins';

/** Writes the fixture rows as ML4DQM CSV files (`<file_id>_1d.csv`, `<file_id>_2d.csv`) into `dir`. */
export function writeDialsCsv(dir: string): void {
  const map = JSON.parse(readFileSync(DIALS_MAP, 'utf8')) as { mes: Array<{ me_id: number; me: string }> };
  const meName = new Map(map.mes.map((m) => [m.me_id, m.me]));
  const rows = dialsRows();
  const files = new Map<string, string[]>();
  const add = (name: string, line: string): void => {
    if (!files.has(name)) files.set(name, [HEADER]);
    files.get(name)!.push(line);
  };
  for (const [, run, ls, me, file, entries, xmin, xmax, xb, data] of rows.th1) {
    const histo = [0, ...data, 0];
    add(
      `${file}_1d.csv`,
      `${run},${ls},${meName.get(me)},3,"${JSON.stringify(histo)}",${entries},${xmax},${xmin},${xb},0,0,0`,
    );
  }
  for (const [, run, ls, me, file, entries, xmin, xmax, xb, ymin, ymax, yb, data] of rows.th2) {
    const histo: number[] = new Array((xb + 2) * (yb + 2)).fill(0);
    data?.forEach((row, iy) => row.forEach((v, ix) => (histo[(iy + 1) * (xb + 2) + ix + 1] = v)));
    add(
      `${file}_2d.csv`,
      `${run},${ls},${meName.get(me)},6,"${JSON.stringify(histo)}",${entries},${xmax},${xmin},${xb},${ymax},${ymin},${yb}`,
    );
  }
  for (const [name, lines] of files) writeFileSync(join(dir, name), lines.join('\n') + '\n');
}

/** A DIALS server over the fixture data, with the captures' credentials; `close` also removes the CSV files. */
export async function startDialsFixtureServer(options: ServerOptions = {}): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'dials-fixture-'));
  writeDialsCsv(dir);
  const server = await startServer({
    api: 'dials',
    port: 0,
    dataDirs: [dir],
    dialsMap: DIALS_MAP,
    dialsToken: CAPTURE_TOKEN,
    clientSecret: CAPTURE_SECRET,
    ...options,
  });
  return {
    ...server,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
