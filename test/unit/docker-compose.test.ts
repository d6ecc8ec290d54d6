/** docker compose cannot run here; what can be checked without an engine is. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pyheap, ROOT } from '../support/cli.js';

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(`${ROOT}docker-compose.yml`, 'utf8'));

  it('runs Redis without persistence and without eviction', () => {
    const command: string[] = compose.services.redis.command;
    expect(command.join(' ')).toMatch(/--save\s+ --appendonly no/);
    expect(command).toContain('noeviction');
    expect(compose.services.redis.ports).toEqual(['127.0.0.1:6379:6379']);
  });

  it('runs a pyheap command that exists and works', () => {
    const command: string[] = compose.services.pyheap.command;
    const out = pyheap([...command, '--quiet']);
    expect(out.status).toBe(0);
    expect(readFileSync(`${ROOT}Dockerfile`, 'utf8')).toMatch(/ENTRYPOINT \["node", "dist\/src\/cli\/main\.js"\]/);
  });
});
