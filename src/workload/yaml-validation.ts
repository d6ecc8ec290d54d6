/**
 * Reads a YAML file and validates it against a zod schema, reporting every
 * problem with the file, the line and column, the field path and what was
 * expected -- the way a user fixes a scenario file. Unknown keys are errors
 * (the schemas are strict) and are reported at the key's own line.
 */
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';

export interface ValidationProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted field path, e.g. endpoints[0].behaviours[1].size */
  path: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T; document: unknown } | { ok: false; problems: ValidationProblem[] };

/** "file:line:column: path: message" */
export function formatProblem(p: ValidationProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path === '' ? '(top level)' : p.path}: ${p.message}`;
}

export function validateYaml<S extends z.ZodType>(file: string, text: string, schema: S): ValidationResult<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` };
      }),
    };
  }
  const data: unknown = doc.toJS();
  const parsed = schema.safeParse(data ?? {}, {
    // A missing field reads better as "required" than as a type mismatch with undefined.
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? `required (expected ${issue.expected})` : undefined),
  });
  if (parsed.success) return { ok: true, value: parsed.data, document: data };
  const problems: ValidationProblem[] = [];
  for (const issue of parsed.error.issues) {
    const path = issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const node = keyNode(doc, path, key);
        problems.push(at(file, lineCounter, node, [...path, key], `unknown key "${key}"${expectedKeys(schema, path)}`));
      }
      continue;
    }
    problems.push(at(file, lineCounter, nearestNode(doc, path), path, issue.message));
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, problems };
}

function at(file: string, lineCounter: LineCounter, node: Node | null, path: (string | number)[], message: string): ValidationProblem {
  const offset = node?.range?.[0] ?? 0;
  const pos = lineCounter.linePos(offset);
  return { file, line: pos.line, column: pos.col, path: formatPath(path), message };
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out === '' ? k : `.${k}`;
  return out;
}

/** The node at `path`, or the deepest existing ancestor (a missing field is reported at its parent). */
function nearestNode(doc: Document, path: (string | number)[]): Node | null {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (node !== undefined && node !== null && typeof node === 'object' && 'range' in node) return node;
  }
  return (doc.contents as Node | null) ?? null;
}

function keyNode(doc: Document, path: (string | number)[], key: string): Node | null {
  const parent = path.length === 0 ? doc.contents : (doc.getIn(path, true) as unknown);
  if (isMap(parent)) {
    for (const item of parent.items) {
      if (isPair(item) && isScalar(item.key) && item.key.value === key) return item.key;
    }
  }
  return nearestNode(doc, path);
}

/** ", expected one of: a, b, c" from the strict object schema at `path`, when it can be found. */
function expectedKeys(schema: z.ZodType, path: (string | number)[]): string {
  let current: unknown = schema;
  for (const k of path) {
    current = unwrap(current);
    const def = (current as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown; options?: unknown[] } }).def;
    if (def?.type === 'object' && typeof k === 'string') current = def.shape?.[k];
    else if (def?.type === 'array' && typeof k === 'number') current = def.element;
    else return '';
  }
  current = unwrap(current);
  const shape = (current as { def?: { type?: string; shape?: Record<string, unknown> } }).def;
  if (shape?.type !== 'object' || !shape.shape) return '';
  return `; expected one of: ${Object.keys(shape.shape).join(', ')}`;
}

function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { type?: string; innerType?: unknown; in?: unknown } } | undefined;
  for (let i = 0; i < 8 && s?.def; i++) {
    const t = s.def.type;
    if (t === 'optional' || t === 'default' || t === 'nullable' || t === 'prefault' || t === 'readonly') s = s.def.innerType as typeof s;
    else if (t === 'pipe') s = s.def.in as typeof s;
    else break;
  }
  return s;
}
