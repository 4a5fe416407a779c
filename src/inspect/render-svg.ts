/**
 * Vega-Lite specification to SVG text, headless: vega-lite compiles to Vega, and a Vega View with no
 * renderer draws the scenegraph to an SVG string. No browser, no canvas, no network (every spec
 * carries its data inline).
 */
import type { TopLevelSpec } from 'vega-lite';

/** Renders one spec to a standalone `<svg>` element. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // import(), not static imports: vega is an ES module with top-level await, which the CLI's
  // CommonJS bundle could not require() (docs/decisions.md, "CLI start-up: a V8 code cache").
  const [{ parse, View }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
