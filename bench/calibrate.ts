/**
 * Calibrates pyheap's cost model against the real CPython on this machine.
 *
 * pyheap charges every simulated Python operation a modelled CPU time
 * (DESIGN.md, "Modelled time, not simulator time"). bench/calibrate.py measures
 * those times in nanoseconds on a real CPython and prints one JSON object; this
 * program runs it, checks every figure, writes the result as a costs profile and
 * prints it as a table.
 *
 *   npm run build && node dist/bench/calibrate.js [--python <path>] [--out <file>]
 *
 *   --python <path>  the interpreter to measure (default: $PYTHON, else python3)
 *   --out <file>     where to write the profile (default: src/objects/costs/local.json,
 *                    a machine-local file kept out of git; the committed default
 *                    profile is src/objects/costs/cpython-3.11.json)
 *
 * Exit codes: 0 written; 1 the interpreter is missing, the script failed or its
 * output is not a valid profile; 2 a bad flag.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EXIT_FAILURE, EXIT_INVALID_INPUT } from '../src/errors.js';

/** Every key a costs profile must give, in nanoseconds (bench/calibrate.py says what each times). */
export const COST_KEYS = [
  'int_new',
  'float_new',
  'str_new_base',
  'str_new_per_char',
  'bytes_new_base',
  'bytes_new_per_byte',
  'tuple_new_base',
  'tuple_new_per_item',
  'list_new',
  'list_append',
  'list_getitem',
  'list_setitem',
  'list_pop',
  'dict_new',
  'dict_setitem_new_key',
  'dict_setitem_existing',
  'dict_getitem',
  'dict_delitem',
  'set_new',
  'set_add',
  'instance_new',
  'instance_slots_new',
  'getattr',
  'setattr',
  'function_new',
  'closure_new',
  'call',
  'generator_new',
  'weakref_new',
  'dealloc',
  'gc_full_per_list',
  'gc_full_per_instance',
  'gc_full_per_dict',
  'gc_young_700',
  'gc_young_base',
] as const;

export type CostKey = (typeof COST_KEYS)[number];

/** The profile bench/calibrate.py prints (further fields, such as detail, pass through). */
export interface CostsProfile {
  python: string;
  machine: string;
  method: string;
  costs: Record<CostKey, number>;
  spread: Record<CostKey, [number, number]>;
  code: Record<CostKey, string>;
  [field: string]: unknown;
}

export interface CalibrateOptions {
  python: string;
  out: string;
}

export class UsageError extends Error {}

const repoRoot = findRepoRoot();

/** The repository root: this file runs as bench/calibrate.ts (tsx) or dist/bench/calibrate.js. */
function findRepoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [resolve(here, '..'), resolve(here, '../..')]) {
    if (existsSync(join(candidate, 'bench', 'calibrate.py'))) return candidate;
  }
  return resolve(here, '../..');
}

/** Parses the flags; a pure function of argv and the environment. */
export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CalibrateOptions | 'help' {
  let python = env.PYTHON || 'python3';
  let out = join(repoRoot, 'src/objects/costs/local.json');
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') return 'help';
    if (flag !== '--python' && flag !== '--out') throw new UsageError(`unknown argument '${flag}' (expected --python <path> or --out <file>)`);
    const value = argv[i + 1];
    if (value === undefined || value === '' || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    i++;
    if (flag === '--python') python = value;
    else out = resolve(value);
  }
  return { python, out };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Every problem with a parsed profile, each naming its field; empty when it is valid. */
export function validateProfile(value: unknown): string[] {
  if (!isRecord(value)) return ['the output is not a JSON object'];
  const problems: string[] = [];
  if (typeof value.python !== 'string' || !/^\d+\.\d+\.\d+/.test(value.python)) problems.push('python: expected a version such as "3.11.7"');
  for (const field of ['machine', 'method'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '') problems.push(`${field}: expected a non-empty string`);
  }
  const known = new Set<string>(COST_KEYS);
  const checks: Record<'costs' | 'spread' | 'code', (v: unknown) => string | null> = {
    costs: (v) => (isFiniteNumber(v) && v >= 0 ? null : 'expected a finite number of ns >= 0'),
    spread: (v) =>
      Array.isArray(v) && v.length === 2 && v.every(isFiniteNumber) && v[0] <= v[1]
        ? null
        : 'expected [min, max]: two finite numbers (ns, raw, possibly negative), min <= max',
    code: (v) => (typeof v === 'string' && v !== '' ? null : 'expected the timed statement'),
  };
  for (const [field, check] of Object.entries(checks)) {
    const table = value[field];
    if (!isRecord(table)) {
      problems.push(`${field}: expected an object with one field per cost key`);
      continue;
    }
    for (const key of COST_KEYS) {
      if (!(key in table)) problems.push(`${field}.${key}: missing`);
      else {
        const problem = check(table[key]);
        if (problem !== null) problems.push(`${field}.${key}: ${problem}, got ${JSON.stringify(table[key])}`);
      }
    }
    for (const key of Object.keys(table)) {
      if (!known.has(key)) problems.push(`${field}.${key}: not a cost key`);
    }
  }
  return problems;
}

/** Runs bench/calibrate.py under `python`; its progress goes straight to our stderr. */
function runCalibration(python: string): string {
  const script = join(repoRoot, 'bench', 'calibrate.py');
  if (!existsSync(script)) throw new Error(`${script} is missing`);
  const result = spawnSync(python, [script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: 10 * 60 * 1000,
  });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(`cannot run '${python}': not found. Install CPython 3.11, or name the interpreter with --python <path> or PYTHON=<path>.`);
    }
    if (code === 'ETIMEDOUT') throw new Error(`'${python} ${script}' did not finish within 10 minutes`);
    throw new Error(`cannot run '${python}': ${result.error.message}`);
  }
  if (result.signal) throw new Error(`'${python} ${script}' was killed by ${result.signal}`);
  if (result.status !== 0) throw new Error(`'${python} ${script}' failed with exit code ${result.status} (its error output is above)`);
  return result.stdout;
}

function printTable(profile: CostsProfile): void {
  const rows = COST_KEYS.map((key) => {
    const ns = profile.costs[key];
    const [min, max] = profile.spread[key];
    const digits = ns < 1 ? 4 : 2;
    return [key, ns.toFixed(digits), `[${min.toFixed(digits)}, ${max.toFixed(digits)}]`];
  });
  const header = ['key', 'ns', 'spread (min, max of runs)'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string =>
    cells.map((cell, c) => (c === 1 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
}

export function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): number {
  let options: CalibrateOptions | 'help';
  try {
    options = parseArgs(argv, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`calibrate: ${e.message}`);
    return EXIT_INVALID_INPUT;
  }
  if (options === 'help') {
    console.log('usage: node dist/bench/calibrate.js [--python <path>] [--out <file>]');
    return 0;
  }
  let stdout: string;
  try {
    stdout = runCalibration(options.python);
  } catch (e) {
    console.error(`calibrate: ${(e as Error).message}`);
    return EXIT_FAILURE;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (e) {
    console.error(`calibrate: the output of bench/calibrate.py is not JSON (${(e as Error).message}); it begins: ${JSON.stringify(stdout.slice(0, 200))}`);
    return EXIT_FAILURE;
  }
  const problems = validateProfile(parsed);
  if (problems.length > 0) {
    console.error(`calibrate: the output of bench/calibrate.py is not a valid costs profile:\n  ${problems.join('\n  ')}`);
    return EXIT_FAILURE;
  }
  const profile = parsed as CostsProfile;
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, JSON.stringify(profile, null, 2) + '\n');
  console.log(`CPython ${profile.python} on ${profile.machine}`);
  printTable(profile);
  if (!profile.python.startsWith('3.11.')) {
    console.log(`note: measured on CPython ${profile.python}; the committed default profile is for 3.11`);
  }
  console.log(`wrote ${options.out}`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2), process.env);
}
