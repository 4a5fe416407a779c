/**
 * Pipeline files as YAML documents with positions. JSON is parsed by the same parser (JSON is
 * YAML), so both get line:col for every node. `locate` maps a field path (as zod reports it) back
 * to the node it came from, for messages of the form `file:line:col: field: message`.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { ConfigError } from '../errors.js';

/** A parsed pipeline file and what is needed to point into it. */
export interface SourceDocument {
  /** The name used in messages (the path as the user gave it). */
  fileName: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

/** A 1-based position. */
export interface Position {
  line: number;
  column: number;
}

/** A path into the document, as zod reports it. */
export type FieldPath = readonly PropertyKey[];

/**
 * Parses `text` as one YAML (or JSON) document. Syntax errors and duplicate keys throw one
 * ConfigError (E_CONFIG_YAML) listing each as `file:line:col: message`; the source text itself is
 * never quoted, since it may hold a token.
 */
export function parseSourceDocument(text: string, fileName: string): SourceDocument {
  const lineCounter = new LineCounter();
  // merge: `<<: *anchor` lets streams share settings by YAML means too.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      const message =
        e.code === 'DUPLICATE_KEY'
          ? `duplicate key ${keyAt(text, e.pos[0])} (each key may appear once in a mapping)`
          : e.code === 'MULTIPLE_DOCS'
            ? 'a pipeline file holds one YAML document (remove the second ---)'
            : e.message.split('\n')[0];
      return `${fileName}:${line}:${col}: ${message}`;
    });
    const first = lineCounter.linePos(doc.errors[0].pos[0]);
    throw new ConfigError('E_CONFIG_YAML', joinLines(`${fileName}: invalid YAML`, lines), {
      file: fileName,
      line: first.line,
      column: first.col,
    });
  }
  return { fileName, text, doc, lineCounter };
}

/** The key token starting at `offset` (the parser's error range covers only its first character). */
function keyAt(text: string, offset: number): string {
  const token = /^("[^"\n]*"|'[^'\n]*'|[^:,{}[\]\s]+)/.exec(text.slice(offset))?.[1] ?? text.slice(offset, offset + 1);
  return token.startsWith('"') || token.startsWith("'") ? token : JSON.stringify(token);
}

/** One line as is; several under a header line. */
export function joinLines(header: string, lines: readonly string[]): string {
  return lines.length === 1 ? lines[0] : [`${header} (${lines.length} errors):`, ...lines].join('\n');
}

/** 1-based position of a node's start, or of the document start when the node has no range. */
export function positionOf(src: SourceDocument, node: Node | null | undefined): Position {
  const offset = node?.range?.[0] ?? src.doc.contents?.range?.[0] ?? 0;
  const { line, col } = src.lineCounter.linePos(offset);
  return { line, column: col };
}

function keyText(pair: Pair): string {
  // A merge key's value is a symbol; its source text is `<<`.
  if (isScalar(pair.key))
    return typeof pair.key.value === 'symbol' ? (pair.key.source ?? '<<') : String(pair.key.value);
  return String(pair.key);
}

function resolve(src: SourceDocument, node: unknown): unknown {
  return isAlias(node) ? node.resolve(src.doc) : node;
}

/** The pair of `map` with key `key`, looking through `<<` merge keys as YAML does. */
function findPair(src: SourceDocument, map: unknown, key: string, depth = 0): Pair | undefined {
  const m = resolve(src, map);
  if (!isMap(m) || depth > 10) return undefined;
  const direct = m.items.find((p) => keyText(p) === key);
  if (direct) return direct;
  for (const p of m.items) {
    if (keyText(p) !== '<<') continue;
    const sources = isSeq(resolve(src, p.value)) ? (resolve(src, p.value) as { items: unknown[] }).items : [p.value];
    for (const s of sources) {
      const found = findPair(src, s, key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Position of the node at `path`: its value, or with `key: true` its key (where an unknown key
 * should be pointed at). A path that does not exist in the file (a missing required field, a value
 * that came from a default) gives the position of the deepest ancestor that does.
 */
export function locate(src: SourceDocument, path: FieldPath, options: { key?: boolean } = {}): Position {
  let node: unknown = src.doc.contents;
  let best = positionOf(src, node as Node | null);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const current = resolve(src, node);
    if (isMap(current)) {
      const pair = findPair(src, current, String(seg));
      if (!pair) break;
      const last = i === path.length - 1;
      if ((last && options.key) || pair.value === null || pair.value === undefined)
        return positionOf(src, pair.key as Node);
      node = pair.value;
    } else if (isSeq(current) && typeof seg === 'number' && current.items[seg] !== undefined) {
      node = current.items[seg];
    } else {
      break;
    }
    best = positionOf(src, resolve(src, node) as Node);
  }
  return best;
}
