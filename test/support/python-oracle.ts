/**
 * Runs a Python program in a real CPython (the oracle) -- `python3` (or
 * $PYTHON) for 3.11, and for 3.9 and 3.8 the `python3.9`/`python3.8` on PATH
 * or, failing that, pyenv's -- and returns what it printed as JSON on stdout,
 * and the per-size-class "blocks in use" of every `sys._debugmallocstats()`
 * report it wrote to stderr between `@@stats` markers (see PYTHON_PRELUDE's
 * `mallocstats()`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const PYTHON = process.env.PYTHON ?? 'python3';

/** The CPython versions pyheap's object model simulates, each checked against its own interpreter. */
export type PythonVersion = '3.11' | '3.9' | '3.8';

/** Whether `exe` runs and is CPython `version`. */
function isCPython(exe: string, version: PythonVersion): boolean {
  const [major, minor] = version.split('.');
  const r = spawnSync(exe, ['-c', `import sys; print(sys.implementation.name, sys.version_info[:2] == (${major}, ${minor}))`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'cpython True';
}

/** pyenv's build of `version`, if there is one (the newest patch release). */
function pyenvInterpreter(version: PythonVersion): string | null {
  const root = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  const versions = join(root, 'versions');
  if (!existsSync(versions)) return null;
  const builds = readdirSync(versions)
    .filter((d) => d.startsWith(`${version}.`) && /^\d+\.\d+\.\d+$/.test(d))
    .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));
  const newest = builds[builds.length - 1];
  if (newest === undefined) return null;
  const exe = join(versions, newest, 'bin', `python${version}`);
  return existsSync(exe) ? exe : null;
}

const interpreters = new Map<PythonVersion, string | null>();

/** The interpreter of CPython `version`, or null when this machine has none. */
export function pythonFor(version: PythonVersion): string | null {
  if (!interpreters.has(version)) {
    const candidates = version === '3.11' ? [PYTHON] : [`python${version}`, pyenvInterpreter(version)];
    interpreters.set(version, candidates.find((exe): exe is string => exe !== null && isCPython(exe, version)) ?? null);
  }
  return interpreters.get(version)!;
}

/** Whether the oracle interpreter is a CPython 3.11 (the default profile's version). */
export const python311Available = pythonFor('3.11') !== null;

/** Helpers every oracle program may use. */
export const PYTHON_PRELUDE = `
import gc, json, os, sys
def mallocstats():
    os.write(2, b'@@stats\\n')
    sys._debugmallocstats()
    os.write(2, b'@@end\\n')
`;

export interface PythonRun<T> {
  result: T;
  /** blocks in use per size class (index: size class), one array per mallocstats() call. */
  blocksInUse: number[][];
}

/** Runs `program` in CPython `version` (3.11: python3). */
export function runPython<T>(program: string, version: PythonVersion = '3.11'): PythonRun<T> {
  const exe = pythonFor(version);
  if (exe === null) throw new Error(`no CPython ${version} on this machine`);
  const r = spawnSync(exe, ['-c', PYTHON_PRELUDE + program], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONHASHSEED: '0' },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`${exe} failed (${r.status}):\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return { result: JSON.parse(lines[lines.length - 1]) as T, blocksInUse: parseStats(r.stderr) };
}

/** The CPython version string of the oracle (for messages). */
export function pythonVersion(): string {
  return execFileSync(PYTHON, ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' }).trim();
}

function parseStats(stderr: string): number[][] {
  const out: number[][] = [];
  let current: number[] | null = null;
  for (const line of stderr.split('\n')) {
    if (line === '@@stats') {
      current = new Array<number>(32).fill(0);
      continue;
    }
    if (line === '@@end') {
      if (current) out.push(current);
      current = null;
      continue;
    }
    if (current === null) continue;
    // "class   size   num pools   blocks in use  avail blocks" rows
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (m) current[Number(m[1])] = Number(m[4]);
  }
  return out;
}

/** Indents a block of Python (a function body). */
export function indentPython(code: string, spaces = 4): string {
  const pad = ' '.repeat(spaces);
  return code
    .trim()
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}
