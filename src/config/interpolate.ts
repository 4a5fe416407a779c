/**
 * `${VAR}` and `${VAR:-default}` in string values of a pipeline file, resolved on the YAML nodes
 * so a missing variable can be reported at its line:col. `$${` writes a literal `${`. Keys and
 * comments are never interpolated. The result is always text; the schema turns `"16"` into 16
 * where it expects a number (see fields.ts).
 *
 * One exception to "an unset variable is an error": `token: ${VAR}` (the whole value one reference)
 * with VAR unset leaves the token absent, because the runner can still find it elsewhere
 * (DQM_PLAYGROUND_TOKEN_FILE, token_file), and `validate` must work in CI without secrets.
 */
import { isPair, isScalar, isSeq, visit, type Node } from 'yaml';
import { ConfigError } from '../errors.js';
import { joinLines, positionOf, type SourceDocument } from './document.js';

/** The environment interpolation reads: a plain record, so tests pass their own. */
export type Env = Record<string, string | undefined>;

/** A problem with one `${...}` reference. */
interface RefProblem {
  /** Text searched for in the scalar's source to place the problem (`${NAME`). */
  needle: string;
  message: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Fields where an unset `${VAR}` (as the whole value) means "absent" rather than an error. */
const OPTIONAL_REFERENCE_FIELDS = new Set(['source.token']);
const SOLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * Resolves the references in one string. Shell semantics for the default: `${VAR:-x}` gives x when
 * VAR is unset or empty; `${VAR}` with VAR unset is an error (set to '' is fine).
 */
export function interpolateString(value: string, env: Env): { value: string; used: string[]; problems: RefProblem[] } {
  const used: string[] = [];
  const problems: RefProblem[] = [];
  let out = '';
  let i = 0;
  while (i < value.length) {
    const dollar = value.indexOf('$', i);
    if (dollar < 0) {
      out += value.slice(i);
      break;
    }
    out += value.slice(i, dollar);
    if (value.startsWith('$${', dollar)) {
      out += '${';
      i = dollar + 3;
      continue;
    }
    if (!value.startsWith('${', dollar)) {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const close = value.indexOf('}', dollar + 2);
    if (close < 0) {
      problems.push({
        needle: value.slice(dollar, dollar + 20),
        message: 'unterminated ${ (write $${ for a literal ${)',
      });
      break;
    }
    const body = value.slice(dollar + 2, close);
    const sep = body.indexOf(':-');
    const name = sep < 0 ? body : body.slice(0, sep);
    if (!NAME.test(name)) {
      problems.push({
        needle: `\${${body}`,
        message: `invalid variable reference \${${body}}: expected \${NAME} or \${NAME:-default}`,
      });
    } else {
      const set = env[name];
      used.push(name);
      if (sep >= 0) out += set === undefined || set === '' ? body.slice(sep + 2) : set;
      else if (set === undefined)
        problems.push({
          needle: `\${${name}`,
          message: `environment variable ${name} is not set (set it, or write \${${name}:-default})`,
        });
      else out += set;
    }
    i = close + 1;
  }
  return { value: out, used, problems };
}

/** Dotted field path of a node from the visitor's ancestors (`streams[0].output.path`). */
function fieldOf(ancestors: readonly unknown[], node: Node): string {
  let field = '';
  for (let k = 0; k < ancestors.length; k++) {
    const a = ancestors[k];
    const child = k + 1 < ancestors.length ? ancestors[k + 1] : node;
    if (isPair(a)) {
      const key = isScalar(a.key) ? String(a.key.value) : String(a.key);
      field += field ? `.${key}` : key;
    } else if (isSeq(a)) {
      field += `[${a.items.indexOf(child as never)}]`;
    }
  }
  return field;
}

/**
 * Replaces references in every string value of `src.doc` in place. Throws one ConfigError
 * (E_CONFIG_ENV) listing every missing variable and malformed reference with its position.
 * Returns the variables used and their values (for secret registration).
 */
export function interpolateDocument(src: SourceDocument, env: Env): Map<string, string> {
  const used = new Map<string, string>();
  const lines: string[] = [];
  let first: { line: number; column: number; field: string } | undefined;
  visit(src.doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const sole = SOLE_REFERENCE.exec(node.value);
      if (sole && env[sole[1]] === undefined && OPTIONAL_REFERENCE_FIELDS.has(fieldOf(ancestors, node))) {
        node.value = '';
        return;
      }
      const result = interpolateString(node.value, env);
      for (const name of result.used) if (env[name] !== undefined) used.set(name, env[name] as string);
      for (const problem of result.problems) {
        const raw = node.range ? src.text.slice(node.range[0], node.range[1]) : '';
        const at = raw.indexOf(problem.needle);
        const base = positionOf(src, node);
        const pos =
          at >= 0 && node.range ? src.lineCounter.linePos(node.range[0] + at) : { line: base.line, col: base.column };
        const field = fieldOf(ancestors, node);
        first ??= { line: pos.line, column: pos.col, field };
        lines.push(`${src.fileName}:${pos.line}:${pos.col}: ${field ? `${field}: ` : ''}${problem.message}`);
      }
      node.value = result.value;
    },
  });
  if (lines.length > 0) {
    throw new ConfigError('E_CONFIG_ENV', joinLines(`${src.fileName}: cannot interpolate`, lines), {
      file: src.fileName,
      ...first,
    });
  }
  return used;
}
