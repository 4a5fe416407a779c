import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { askYesNo, confirmAction, type PromptStreams } from '../../src/cli/prompt.js';
import { UsageError } from '../../src/errors.js';

function terminal(answer: string | null, isTTY = true): PromptStreams & { asked: () => string } {
  const input = Object.assign(new PassThrough(), { isTTY });
  const output = Object.assign(new PassThrough(), { isTTY });
  let asked = '';
  output.on('data', (d) => (asked += String(d)));
  if (answer === null) input.end();
  else input.write(answer + '\n');
  return { input, output, asked: () => asked };
}

describe('askYesNo', () => {
  it.each([
    ['y', true],
    ['YES', true],
    [' yes ', true],
    ['n', false],
    ['', false],
    ['yeah', false],
  ])('%j -> %s', async (answer, expected) => {
    const t = terminal(answer);
    expect(await askYesNo('Delete?', t)).toBe(expected);
    expect(t.asked()).toBe('Delete? [y/N] ');
  });

  it('treats end of input as no', async () => {
    expect(await askYesNo('Delete?', terminal(null))).toBe(false);
  });
});

describe('confirmAction', () => {
  it('proceeds at once with --yes, without asking', async () => {
    const t = terminal(null, false);
    expect(await confirmAction('delete 2 1D histograms', { yes: true, streams: t })).toBe(true);
    expect(t.asked()).toBe('');
  });

  it('refuses without a terminal', async () => {
    const err = await confirmAction('delete 2 1D histograms (ids 1, 2)', {
      yes: false,
      streams: terminal(null, false),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(
      'refusing to delete 2 1D histograms (ids 1, 2) without --yes: there is no terminal to ask for confirmation',
    );
  });

  it('asks on a terminal', async () => {
    const t = terminal('y');
    expect(await confirmAction('delete 1 2D histogram (id 5)', { yes: false, streams: t })).toBe(true);
    expect(t.asked()).toBe('Delete 1 2D histogram (id 5)? [y/N] ');
  });
});
