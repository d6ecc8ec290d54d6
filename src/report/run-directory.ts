/**
 * A run directory (DESIGN.md): `scenario.yaml` (resolved, with its seed),
 * `samples.jsonl` and `events.jsonl` written as the run goes (flushed often,
 * so a crash or Ctrl-C keeps what was measured), and `summary.json` at the end.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PyheapError } from '../errors.js';

/** Appends lines to a file through a buffer, flushed when large and on demand. */
class LineWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private size = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(line: string): void {
    this.buffer.push(line);
    this.size += line.length + 1;
    if (this.size >= 1 << 16) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    writeSync(this.fd, `${this.buffer.join('\n')}\n`);
    this.buffer = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export class RunDirectory {
  readonly path: string;
  private readonly samples: LineWriter;
  private readonly events: LineWriter;

  constructor(path: string, resolvedScenario: unknown) {
    this.path = path;
    try {
      mkdirSync(path, { recursive: true });
      writeFileSync(join(path, 'scenario.yaml'), stringify(resolvedScenario, { lineWidth: 0 }));
      this.samples = new LineWriter(join(path, 'samples.jsonl'));
      this.events = new LineWriter(join(path, 'events.jsonl'));
    } catch (e) {
      throw new PyheapError('PYHEAP_E_FILE', `cannot write the run directory ${path}: ${(e as Error).message}`, { cause: e });
    }
  }

  sample(line: object): void {
    this.samples.write(JSON.stringify(line));
  }

  event(line: object): void {
    this.events.write(JSON.stringify(line));
  }

  flush(): void {
    this.samples.flush();
    this.events.flush();
  }

  finish(summary: object): void {
    this.samples.close();
    this.events.close();
    writeFileSync(join(this.path, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  }
}

/** runs/<scenario>-seed<seed>-<UTC timestamp>: unique per run, sortable. */
export function defaultRunPath(root: string, scenario: string, seed: number, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const safe = scenario.replace(/[^A-Za-z0-9_.-]/g, '_');
  return join(root, `${safe}-seed${seed}-${stamp}`);
}
