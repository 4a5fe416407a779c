import { describe, expect, it } from 'vitest';
import { COMMAND_ENTRIES, commands } from '../../src/cli/commands/index.js';

describe('lazy command registry', () => {
  it.each(COMMAND_ENTRIES.map((e) => [e.command, e] as const))(
    '%s: name and description equal the loaded module',
    async (_name, entry) => {
      const module = await entry.load();
      expect(entry.command).toBe(module.command);
      expect(entry.describe).toBe(module.describe);
    },
  );

  it('registers every entry once, in order', () => {
    expect(commands.map((c) => c.command)).toEqual(COMMAND_ENTRIES.map((e) => e.command));
    expect(new Set(commands.map((c) => c.command)).size).toBe(commands.length);
  });
});
