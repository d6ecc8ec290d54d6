/**
 * The allocation oracle: the same operations run in real CPython (under the
 * trace recorder of a version, between two marks) and in the simulated object
 * model on a heap of that version's profile, and their calls to
 * PyObject_/PyMem_ malloc, calloc, realloc and free are compared call for
 * call. Blocks are named by the order they were allocated in the window (#0,
 * #1, ...; #? for a block from before it); a block keeps its name through
 * reallocs, moved or not (whether glibc can grow a block in place depends on
 * its heap's history, which differs between the processes).
 *
 * Each case is a Python function body run as `body(*args)` between the marks
 * (its locals die inside the window, as a frame's do), after gc.collect() has
 * emptied the free lists; the TypeScript side does the same in `py.call`.
 * sys._clear_type_cache() before the window lets go of the names the type
 * attribute cache holds (not simulated), which would otherwise be freed in
 * the window when a lookup evicts their entry, depending on the history. In
 * 3.8 and 3.9 the call allocates a frame object as big as the body's code
 * says: the recording reports the shape (co_nlocals, co_stacksize, cells,
 * free variables) of the body's code and of every function defined in it, by
 * name, and the simulation makes its code objects with those shapes -- the
 * functions' source is the input both run; what each allocates is compared.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Heap, type HeapOptions } from '../../src/heap/allocator.js';
import { type Code, Python, type Ref } from '../../src/objects/api.js';
import type { CodeShape } from '../../src/objects/types/frame.js';

/** The versions with an object model, each recorded by its own tools/pytrace/build/pytrace-X.Y. */
export type OracleVersion = '3.11' | '3.9' | '3.8';
export const ORACLE_VERSIONS: readonly OracleVersion[] = ['3.11', '3.9', '3.8'];

export interface OracleCase {
  name: string;
  /** Python statements at module level before the window (imports, classes, prebuilt arguments). */
  setup?: string;
  /** Python expression list passed to body(). */
  args?: string;
  /** Functions from `setup` whose code shapes the TypeScript side needs (by this text, e.g. `rec`). */
  codes?: readonly string[];
  /** The body of `def body(...)`. */
  body: string;
  /** Parameters of body(). */
  params?: string;
  /**
   * Python run after gc.collect() and before the window: refills a free list
   * CPython's call machinery would find full in a running program (e.g. the
   * argument tuple of a type call).
   */
  warm?: string;
  /** The TypeScript side of `warm`: runs after gc.collect(), before the window. */
  warmUp?: (py: Python) => void;
  /**
   * The TypeScript side: `prepare` runs before the window, `run` inside py.call
   * (of the body's code); `code(name)` is the code of a function the body
   * defines, with the shape CPython reported.
   */
  prepare?: (py: Python) => Ref[];
  run: (py: Python, args: Ref[], code: (name: string) => Code) => void;
}

/** What a recording gives: each case's calls, and the shapes of its body's code objects by name ("body" for itself). */
export interface Recording {
  calls: Map<string, string[]>;
  codes: Map<string, Map<string, CodeShape>>;
}

const ROOT = new URL('../../', import.meta.url).pathname;

/** The recorder built for `version`, or null if tools/pytrace/build.sh did not build it. */
export function recorderFor(version: OracleVersion): string | null {
  const path = join(ROOT, `tools/pytrace/build/pytrace-${version}`);
  return existsSync(path) ? path : null;
}

/** Heap calls, as the oracle names them. */
export class LoggingHeap extends Heap {
  log: string[] | null = null;
  private ids = new Map<number, number>();
  private next = 0;
  /** Heap.realloc calls malloc and free itself: those are not calls of the object model. */
  private inner = 0;

  constructor(options: HeapOptions = {}) {
    super(options);
  }

  override get watchesCalls(): boolean {
    return true;
  }

  start(): void {
    this.log = [];
    this.ids.clear();
    this.next = 0;
  }

  stop(): string[] {
    const log = this.log ?? [];
    this.log = null;
    return log;
  }

  private name(p: number): string {
    const id = this.ids.get(p);
    return id === undefined ? '?' : String(id);
  }

  private fresh(p: number): void {
    this.ids.set(p, this.next++);
  }

  override malloc(nbytes: number): number {
    const p = super.malloc(nbytes);
    if (this.log && this.inner === 0) {
      this.log.push(`m${nbytes}`);
      this.fresh(p);
    }
    return p;
  }

  override calloc(nelem: number, elsize: number): number {
    const p = super.calloc(nelem, elsize);
    if (this.log) {
      this.log.push(`c${nelem}x${elsize}`);
      this.fresh(p);
    }
    return p;
  }

  override realloc(p: number, nbytes: number): number {
    const old = this.log ? (p === 0 ? 'NULL' : this.name(p)) : '';
    this.inner++;
    let q: number;
    try {
      q = super.realloc(p, nbytes);
    } finally {
      this.inner--;
    }
    if (this.log) {
      this.log.push(`r${old}:${nbytes}`);
      if (q !== p) {
        const id = this.ids.get(p);
        this.ids.delete(p);
        if (p !== 0 && id !== undefined) this.ids.set(q, id);
        else this.fresh(q);
      }
    }
    return q;
  }

  override free(p: number): void {
    if (this.log && p !== 0 && this.inner === 0) {
      this.log.push(`f${this.name(p)}`);
      this.ids.delete(p);
    }
    super.free(p);
  }
}

/** Reports the shape of a function's code and of every function defined in it, as a mark (before a window). */
const SHAPES_PRELUDE = `
def _shapes(case, co, named):
    out = []
    def walk(c, name):
        out.append('%s %d %d %d %d' % (name, c.co_nlocals, c.co_stacksize, len(c.co_cellvars), len(c.co_freevars)))
        for k in c.co_consts:
            if hasattr(k, 'co_consts'):
                walk(k, k.co_name)
    walk(co, 'body')
    for name, f in named:
        walk(f.__code__, name)
    _pytrace.mark('codes ' + case + '|' + ';'.join(out))
`;

/** Runs every case in one process of CPython `version` under its recorder; the calls of each window. */
export function recordInCPython(cases: readonly OracleCase[], version: OracleVersion): Recording {
  const recorder = recorderFor(version);
  if (recorder === null) throw new Error(`no recorder for CPython ${version}: run tools/pytrace/build.sh with that interpreter`);
  const dir = mkdtempSync(join(tmpdir(), 'pyheap-oracle-'));
  try {
    let script = `import gc, sys, _pytrace\n${SHAPES_PRELUDE}`;
    for (const c of cases) {
      script += `\n# ---- ${c.name}\n${c.setup ?? ''}\n`;
      script += `def body_${ident(c.name)}(${c.params ?? ''}):\n${indent(c.body)}\n`;
      const named = (c.codes ?? []).map((f) => `(${JSON.stringify(f)}, ${f})`).join(', ');
      script += `_shapes(${JSON.stringify(c.name)}, body_${ident(c.name)}.__code__, [${named}])\n`;
      script += `_args = (${c.args ?? ''}${c.args ? ',' : ''})\n`;
      script += `gc.collect()\n${c.warm ?? ''}\nsys._clear_type_cache()\n_pytrace.mark(${JSON.stringify(`begin ${c.name}`)})\nbody_${ident(c.name)}(*_args)\n_pytrace.mark(${JSON.stringify(`end ${c.name}`)})\ndel _args\n`;
    }
    const scriptPath = join(dir, 'cases.py');
    const tracePath = join(dir, 'cases.trace');
    writeFileSync(scriptPath, script);
    execFileSync(recorder, ['-q', '-S', '-o', tracePath, '--stats', join(dir, 'stats.txt'), scriptPath], {
      env: { ...process.env, PYTHONHASHSEED: '0' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return windows(readFileSync(tracePath, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function windows(trace: string): Recording {
  const out = new Map<string, string[]>();
  const codes = new Map<string, Map<string, CodeShape>>();
  let current: string[] | null = null;
  let name = '';
  let ids = new Map<string, number>();
  let next = 0;
  const id = (p: string): string => (ids.has(p) ? String(ids.get(p)) : '?');
  for (const line of trace.split('\n')) {
    if (line.startsWith('# mark codes ')) {
      const [caseName, list] = line.slice('# mark codes '.length).split('|');
      const shapes = new Map<string, CodeShape>();
      for (const entry of list.split(';')) {
        const [fn, nlocals, stacksize, ncells, nfrees] = entry.split(' ');
        shapes.set(fn, { nlocals: Number(nlocals), stacksize: Number(stacksize), ncells: Number(ncells), nfrees: Number(nfrees) });
      }
      codes.set(caseName, shapes);
      continue;
    }
    if (line.startsWith('# mark begin ')) {
      name = line.slice('# mark begin '.length);
      current = [];
      ids = new Map();
      next = 0;
      continue;
    }
    if (line.startsWith('# mark end ')) {
      if (current !== null) out.set(name, current);
      current = null;
      continue;
    }
    if (current === null || line.length === 0 || line[0] === '#' || line[0] === 'A' || line[0] === 'R') continue;
    const f = line.split(' ');
    switch (f[0]) {
      case 'm':
        current.push(`m${f[2]}`);
        ids.set(f[1], next++);
        break;
      case 'c':
        current.push(`c${f[2]}x${f[3]}`);
        ids.set(f[1], next++);
        break;
      case 'r': {
        const old = f[1] === '0' ? 'NULL' : id(f[1]);
        current.push(`r${old}:${f[3]}`);
        if (f[2] !== f[1]) {
          const kept = ids.get(f[1]);
          ids.delete(f[1]);
          ids.set(f[2], kept ?? next++);
        }
        break;
      }
      case 'f':
        current.push(`f${id(f[1])}`);
        ids.delete(f[1]);
        break;
      default:
        break;
    }
  }
  return { calls: out, codes };
}

/**
 * The calls the simulation makes for a case, in a fresh process of `version`
 * after gc.collect(); `shapes`, the case's code shapes from the recording.
 */
export function runInSimulation(c: OracleCase, version: OracleVersion, shapes: ReadonlyMap<string, CodeShape> = new Map()): string[] {
  const heap = new LoggingHeap({ profile: version, arenaCapacityBytes: 256 << 20, rawCapacityBytes: 256 << 20 });
  const py = new Python({ heap });
  const codes = new Map<string, Code>();
  const code = (name: string): Code => {
    let made = codes.get(name);
    if (made === undefined) {
      const shape = shapes.get(name);
      if (shape === undefined) throw new Error(`case ${c.name}: CPython reported no code named ${name}`);
      codes.set(name, (made = py.code(shape)));
    }
    return made;
  };
  const args = c.prepare?.(py) ?? [];
  const body = shapes.has('body') ? code('body') : undefined;
  py.gc.collect();
  // `warm` runs at module level: no call, no frame.
  if (c.warmUp) py.scope(() => c.warmUp?.(py));
  heap.start();
  py.call(() => c.run(py, args, code), body);
  return heap.stop();
}

function ident(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

function indent(code: string): string {
  return code
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
