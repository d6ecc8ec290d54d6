/**
 * The README's object API section stays true: its ```ts blocks, in order, are
 * one program; it runs, and every `console.log(...) // → text` line prints
 * `text` (a statement whose callback prints carries the comment too). The
 * example at the top of src/objects/api.ts runs too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const readme = readFileSync(`${ROOT}README.md`, 'utf8');

function section(): string {
  const begin = readme.indexOf('<!-- object-api:begin -->');
  const end = readme.indexOf('<!-- object-api:end -->');
  expect(begin, 'README has <!-- object-api:begin -->').toBeGreaterThanOrEqual(0);
  expect(end, 'README has <!-- object-api:end -->').toBeGreaterThan(begin);
  return readme.slice(begin, end);
}

function blocks(): string[] {
  return [...section().matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** The `// → text` comments, in order: what the program must print. */
function expectedOutput(program: string): string[] {
  return program
    .split('\n')
    .map((line) => /\/\/ → (.*)$/.exec(line)?.[1])
    .filter((x): x is string => x !== undefined);
}

/** Runs a TypeScript program with tsx; imports of './src/...' resolve to this checkout. */
function runTs(program: string): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pyheap-readme-'));
  try {
    const file = join(dir, 'program.ts');
    writeFileSync(file, program.replaceAll("'./src/", `'${ROOT}src/`));
    return spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('README: Python in TypeScript', () => {
  const program = blocks().join('\n');

  it('has examples that print what they say', () => {
    expect(blocks().length).toBeGreaterThanOrEqual(5);
    expect(program).toContain("from './src/objects/api.js'");
    expect(expectedOutput(program).length).toBeGreaterThanOrEqual(10);
  });

  it('runs, printing what its comments show', () => {
    const r = runTs(program);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual(expectedOutput(program));
  });

  it("src/objects/api.ts's opening example runs", () => {
    const source = readFileSync(`${ROOT}src/objects/api.ts`, 'utf8');
    const header = source.slice(0, source.indexOf('*/'));
    const lines = header.split('\n');
    const first = lines.findIndex((l) => l.startsWith(' *   '));
    expect(first).toBeGreaterThan(0);
    const end = lines.findIndex((l, i) => i > first && !l.startsWith(' *   '));
    const example = lines.slice(first, end).map((l) => l.slice(' *   '.length));
    expect(example[0]).toMatch(/new Python\(/);
    const r = runTs(`import { Python } from './src/objects/api.js';\n${example.join('\n')}\nconsole.log(py.len(py.getitem(py.getglobal(app, 'cache'), 'last')));\n`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('10\n');
  });
});
