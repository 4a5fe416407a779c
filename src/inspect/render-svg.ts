/**
 * Vega-Lite specification to SVG text, headless: vega-lite compiles to Vega, and a Vega View with no
 * renderer draws the scenegraph to an SVG string. No browser, no canvas, no network (every spec
 * carries its data inline).
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders one spec to a standalone `<svg>` element. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
