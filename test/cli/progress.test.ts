import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createParseProgress } from '../../src/cli/files/progress.js';

function stream(isTTY: boolean): {
  s: PassThrough & {
    isTTY: boolean;
    columns: number;
    cursorTo: () => boolean;
    clearLine: () => boolean;
    moveCursor: () => boolean;
  };
  text: () => string;
} {
  // cli-progress draws with the cursor helpers of a tty.WriteStream.
  const s = Object.assign(new PassThrough(), {
    isTTY,
    columns: 120,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  let text = '';
  s.on('data', (d) => (text += String(d)));
  return { s, text: () => text };
}
const poll = (percentage: number, done: number) => ({
  id: 3,
  percentage,
  entriesProcessed: done,
  entriesTotal: 240,
  elapsedMs: 1500,
});

describe('createParseProgress', () => {
  it('off a terminal: one line per change of percentage', () => {
    const { s, text } = stream(false);
    const p = createParseProgress({ stream: s, label: 'data file 3' });
    p.update(poll(0, 0));
    p.update(poll(0, 0));
    p.update(poll(40, 96));
    p.update(poll(100, 240));
    p.stop();
    expect(text()).toBe(
      'data file 3: 0 % (0/240 entries)\ndata file 3: 40 % (96/240 entries)\ndata file 3: 100 % (240/240 entries)\n',
    );
  });

  it('on a terminal: a bar with the percentage and entries, stopped once', () => {
    const { s, text } = stream(true);
    const p = createParseProgress({ stream: s, label: 'data file 3' });
    p.update(poll(12.34, 30));
    p.update(poll(100, 240));
    p.stop();
    p.stop();
    expect(text()).toContain('data file 3');
    expect(text()).toMatch(/100 % \| 240\/240 entries \| 1\.5 s/);
  });
});
