/**
 * The default cost table is the committed calibration, key for key; a
 * calibration file missing a key or holding a bad value is refused by name.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { costProfileFrom, CPYTHON_311_COSTS, gcCostsFrom, snakeCase } from '../../src/objects/costs.js';

const committed = JSON.parse(readFileSync(new URL('../../src/objects/costs/cpython-3.11.json', import.meta.url), 'utf8')) as {
  python: string;
  costs: Record<string, number>;
};

describe('cost profiles', () => {
  it('CPYTHON_311_COSTS equals the committed CPython 3.11 calibration', () => {
    expect(committed.python.startsWith('3.11')).toBe(true);
    expect(costProfileFrom(committed.costs)).toEqual(CPYTHON_311_COSTS);
  });

  it('every key of the table is in the calibration file', () => {
    for (const key of Object.keys(CPYTHON_311_COSTS)) expect(committed.costs, snakeCase(key)).toHaveProperty(snakeCase(key));
  });

  it('names the missing and invalid keys of a bad calibration', () => {
    const bad: Record<string, unknown> = { ...committed.costs, int_new: -1 };
    delete bad.gc_young_700;
    expect(() => costProfileFrom(bad, 'local.json')).toThrow(/local\.json: .*int_new must be a non-negative number.*gc_young_700/);
  });

  it('derives a positive pause model', () => {
    const gc = gcCostsFrom(CPYTHON_311_COSTS);
    expect(gc.perObjectNs).toBeCloseTo(CPYTHON_311_COSTS.gcYoung700 / 700);
    expect(gc.collectionNs).toBeGreaterThan(0);
    expect(gc.perReferenceNs).toBeGreaterThanOrEqual(0);
  });
});
