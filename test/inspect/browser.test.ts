/**
 * The HTML report of the sample dataset (data/sample, exported like `npm start` does) opens in
 * headless Chromium (Debian's `chromium` package, driven by playwright-core, no browser download)
 * with no console error, no request leaving the page, and every chart drawn. Skipped, with one line
 * saying why, when no Chromium is installed (.ci/run installs it on CI).
 * `INSPECT_SCREENSHOT=docs/inspect-report.png` also writes the screenshot shown in the README: then
 * the datasets go to `out/demo/` under the working directory (as `npm start` writes them) and are
 * inspected by that relative path, so the report's headings show no temporary path.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chartCount, htmlReport, inspectDataset } from '../../src/inspect/index.js';
import { SAMPLE_DATA_DIR } from '../../src/version.js';
import { exportSeeded } from './export.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available)
  console.warn(
    `inspect browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );

/** The flags the report must open with: no GPU, sandbox or background traffic in a container. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Runs in the page (a string: the project compiles without DOM types): each chart's drawn size, each
 * map's PNG decoded, and the chart kinds.
 */
const IN_PAGE = `(async () => {
  const figures = [...document.querySelectorAll('figure.chart')];
  const sizes = figures.map((f) => {
    const box = f.querySelector('svg')?.getBoundingClientRect();
    return box ? [box.width, box.height] : [0, 0];
  });
  const hrefs = [...document.querySelectorAll('figure.chart svg image')].map((i) => i.getAttribute('href') || i.getAttribute('xlink:href') || '');
  const decoded = await Promise.all(hrefs.map(async (href) => {
    const img = new Image();
    img.src = href;
    await img.decode();
    return [img.naturalWidth, img.naturalHeight];
  }));
  return { sizes, decoded, kinds: figures.map((f) => f.getAttribute('data-chart')) };
})()`;

describe('inspect HTML report in Chromium', () => {
  it.skipIf(!available)(
    'opens with no console error, no network request, and every chart drawn',
    async () => {
      const root = await exportSeeded(
        [
          { name: 'h1d', dims: 1, filters: '{source_data_file__filepath__contains: 1D_synthetic}' },
          { name: 'h2d', dims: 2, layout: 'tensor', dtype: 'float32' },
        ],
        SAMPLE_DATA_DIR,
        process.env.INSPECT_SCREENSHOT ? join('out', 'demo') : undefined,
      );
      const reports = [await inspectDataset(join(root, 'h1d')), await inspectDataset(join(root, 'h2d'))];
      const file = join(root, 'report.html');
      await writeFile(
        file,
        await htmlReport(reports, { title: 'dqm-export inspect: sample dataset (out/demo/h1d, out/demo/h2d)' }),
      );

      const profile = await mkdtemp(join(tmpdir(), 'dqm-inspect-chromium-'));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ARGS,
        viewport: { width: 1600, height: 1000 },
      });
      try {
        const page = await context.newPage();
        const errors: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(String(e)));
        page.on('request', (r) => {
          if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
        });
        await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

        const charts = (await page.evaluate(IN_PAGE)) as {
          sizes: [number, number][];
          decoded: [number, number][];
          kinds: string[];
        };
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
        expect(charts.sizes.length).toBe(chartCount(reports));
        for (const [w, h] of charts.sizes) expect(w * h).toBeGreaterThan(100 * 100);
        // Two 2D titles: the mean map and three farthest lumisections each, 56 x 72 pixels.
        expect(charts.decoded).toEqual(Array.from({ length: 8 }, () => [56, 72]));
        expect(charts.kinds.filter((k) => k === 'distribution').length).toBe(2);
        expect(charts.kinds.filter((k) => k === 'mean-map').length).toBe(2);
        expect(charts.kinds.filter((k) => k === 'entries').length).toBe(4);

        if (process.env.INSPECT_SCREENSHOT) {
          // The 2D dataset's header and first title: provenance, checks, mean map, farthest LS, entries.
          const dataset = page.locator('section.dataset').nth(1);
          const top = (await dataset.locator('h2').boundingBox())!;
          const end = (await dataset.locator('section.title').first().boundingBox())!;
          const clip = { x: 0, y: top.y - 8, width: 1600, height: end.y + end.height - top.y + 16 };
          await page.screenshot({ path: resolve(process.env.INSPECT_SCREENSHOT), clip, fullPage: true });
        }
      } finally {
        await context.close();
      }
    },
    180_000,
  );
});
