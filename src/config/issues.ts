/**
 * From zod issues to what a user reads: `file:line:col: streams[0].transform.layout: got "tensr";
 * valid layouts: nested, flat, tensor, array (did you mean "tensor"?)`. The error map words the issues
 * that no field-level message covered; the formatter splits multi-key issues, looks through unions
 * to the branch that nearly matched, and attaches positions.
 */
import type * as z from '../zod.js';
import { choiceMessage, describeValue, UNKNOWN_KEY_SEPARATOR } from './fields.js';
import type { FieldPath, Position } from './document.js';

/** One problem in a pipeline file. */
export interface ConfigIssue {
  /** The file as the user named it. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** `streams[0].transform.layout`; '' for the whole file. */
  field: string;
  message: string;
}

/** `file:line:col: field: message`, the line format of every config error. */
export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.field ? `${issue.field}: ` : ''}${issue.message}`;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['streams', 0, 'transform', 'layout']` -> `streams[0].transform.layout`. */
export function fieldPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENT.test(String(seg))) out += out ? `.${String(seg)}` : String(seg);
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
  literal: 'a fixed value',
};

/** The fallback wording of issues whose schema gave none (missing fields, types, bounds). */
export const configErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'missing required field';
      return `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describeValue(iss.input)}`;
    case 'invalid_value':
      if (iss.values.length === 1) return `expected ${JSON.stringify(iss.values[0])}, got ${describeValue(iss.input)}`;
      return choiceMessage(iss.input, iss.values.map(String));
    case 'too_small':
      if (iss.origin === 'array' || iss.origin === 'set')
        return `expected at least ${iss.minimum} item${Number(iss.minimum) === 1 ? '' : 's'}`;
      if (iss.origin === 'string')
        return Number(iss.minimum) === 1 ? 'must not be empty' : `expected at least ${iss.minimum} characters`;
      return `must be ${iss.inclusive ? '>=' : '>'} ${iss.minimum}, got ${describeValue(iss.input)}`;
    case 'too_big':
      if (iss.origin === 'array' || iss.origin === 'set') return `expected at most ${iss.maximum} items`;
      if (iss.origin === 'string') return `expected at most ${iss.maximum} characters`;
      return `must be ${iss.inclusive ? '<=' : '<'} ${iss.maximum}, got ${describeValue(iss.input)}`;
    case 'invalid_format':
      return `does not have the expected format${iss.pattern ? ` ${iss.pattern}` : ''}, got ${describeValue(iss.input)}`;
    case 'invalid_union':
      return `does not match any accepted form, got ${describeValue(iss.input)}`;
    default:
      return undefined;
  }
};

/** A zod issue flattened to a path and a message, plus whether it points at a key. */
interface FlatIssue {
  path: PropertyKey[];
  message: string;
  key: boolean;
}

/**
 * Zod issues -> flat issues: one per unknown key (pointing at the key), and a union's issues
 * replaced by those of the branch that got past the top-level type check (e.g. a list with a bad
 * element), since "does not match any form" says less than "files[1]: must not be empty".
 */
export function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): FlatIssue[] {
  const out: FlatIssue[] = [];
  for (const iss of issues) {
    const path = [...prefix, ...iss.path];
    if (iss.code === 'unrecognized_keys') {
      const messages = iss.message.split(UNKNOWN_KEY_SEPARATOR);
      iss.keys.forEach((k, i) => out.push({ path: [...path, k], message: messages[i] ?? messages[0], key: true }));
    } else if (iss.code === 'invalid_union' && iss.errors.length > 0) {
      const near = iss.errors.filter(
        (branch) => branch.length > 0 && branch.every((b) => b.path.length > 0 || b.code !== 'invalid_type'),
      );
      if (near.length === 1) out.push(...flattenIssues(near[0], path));
      else out.push({ path, message: iss.message, key: false });
    } else {
      out.push({ path, message: iss.message, key: false });
    }
  }
  return out;
}

/**
 * Positions and sorts flat issues; `locateIssue` maps a path to a position (following values that
 * came from `defaults` back to where they were written). Identical lines are reported once.
 */
export function toConfigIssues(
  file: string,
  issues: readonly FlatIssue[],
  locateIssue: (path: FieldPath, key: boolean) => Position & { note?: string },
): ConfigIssue[] {
  const seen = new Set<string>();
  const out: ConfigIssue[] = [];
  for (const iss of issues) {
    const pos = locateIssue(iss.path, iss.key);
    const message = pos.note ? `${iss.message} (${pos.note})` : iss.message;
    const issue: ConfigIssue = { file, line: pos.line, column: pos.column, field: fieldPath(iss.path), message };
    const line = formatIssue(issue);
    if (seen.has(line)) continue;
    seen.add(line);
    out.push(issue);
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}
