// The unit parsers as the policy and container sections rely on them.
import { describe, expect, it } from 'vitest';
import { byteSizeSchema, durationSchema, parseByteSize, parseDuration } from '../../src/workload/units.js';

describe('durations', () => {
  it('reads seconds, minutes, hours and compounds', () => {
    expect(parseDuration('30s')).toBe(30);
    expect(parseDuration('5m')).toBe(300);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('250ms')).toBe(0.25);
    expect(parseDuration('1d')).toBe(86400);
  });

  it('refuses what is not a duration', () => {
    expect(() => parseDuration('30')).toThrow(/not a duration/);
    expect(() => parseDuration('30 parsecs')).toThrow(/not a duration/);
    expect(() => parseDuration('-5s')).toThrow(/not a duration/);
  });

  it('the schema takes numbers as seconds and refuses negatives', () => {
    expect(durationSchema.parse(12.5)).toBe(12.5);
    expect(durationSchema.parse('2m')).toBe(120);
    expect(durationSchema.safeParse(-1).success).toBe(false);
    expect(durationSchema.safeParse(true).success).toBe(false);
  });
});

describe('byte sizes', () => {
  it('reads Kubernetes binary and SI quantities', () => {
    expect(parseByteSize('512Mi')).toBe(512 * 2 ** 20);
    expect(parseByteSize('2Gi')).toBe(2 * 2 ** 30);
    expect(parseByteSize('64KiB')).toBe(65536);
    expect(parseByteSize('1GB')).toBe(1e9);
    expect(byteSizeSchema.parse(4096)).toBe(4096);
  });

  it('refuses an ambiguous bare "m" (Docker MiB, Kubernetes milli)', () => {
    expect(() => parseByteSize('512m')).toThrow(/not a byte size/);
  });
});
