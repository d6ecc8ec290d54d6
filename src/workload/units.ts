/**
 * Quantities with units as scenario files and flags write them: durations
 * ("250ms", "30s", "5m", "2h", "1d", or Go/k6-style compounds such as
 * "1h30m") and byte sizes ("512B", "64KiB", "1.5MiB", "2GB"). One parser per
 * quantity, so the command line and the scenario schema agree (STYLE.md
 * practice 6). Numbers given without a unit are already in the base unit:
 * seconds, bytes.
 *
 * Byte units: IEC (KiB, MiB, GiB, TiB, and Kubernetes' Ki, Mi, Gi, Ti) are
 * powers of 1024; SI (kB/KB, MB, GB, TB) are powers of 1000, as in
 * Kubernetes' resource quantities. A bare "k"/"m"/"g" is refused: Docker reads
 * "512m" as MiB, Kubernetes as milli-units.
 */
import { z } from 'zod';

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  min: 60,
  h: 3600,
  d: 86400,
};

const BYTES_PER_UNIT: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  ki: 2 ** 10,
  kib: 2 ** 10,
  mi: 2 ** 20,
  mib: 2 ** 20,
  gi: 2 ** 30,
  gib: 2 ** 30,
  ti: 2 ** 40,
  tib: 2 ** 40,
};

const NUMBER = String.raw`\d+(?:\.\d+)?|\.\d+`;
/** One or more number-unit terms, largest first by convention ("1h30m"). */
export const DURATION_PATTERN = new RegExp(String.raw`^\s*(?:(?:${NUMBER})\s*(?:ns|us|µs|ms|s|min|m|h|d)\s*)+$`);
export const BYTE_SIZE_PATTERN = new RegExp(String.raw`^\s*(?:${NUMBER})\s*(?:[kKmMgGtT]i[bB]?|[kKmMgGtT][bB]|[bB])?\s*$`);

/** Seconds in a duration string; throws RangeError naming what was expected. */
export function parseDuration(text: string): number {
  if (!DURATION_PATTERN.test(text)) {
    throw new RangeError(`"${text}" is not a duration: expected a number of seconds or e.g. "250ms", "30s", "5m", "2h", "1d", "1h30m"`);
  }
  let seconds = 0;
  for (const m of text.matchAll(new RegExp(String.raw`(${NUMBER})\s*(ns|us|µs|ms|s|min|m|h|d)`, 'g'))) {
    seconds += Number(m[1]) * SECONDS_PER_UNIT[m[2]];
  }
  return seconds;
}

/** Bytes in a size string; throws RangeError naming what was expected. */
export function parseByteSize(text: string): number {
  const m = BYTE_SIZE_PATTERN.test(text) ? /^\s*([\d.]+)\s*([a-zA-Z]*)\s*$/.exec(text) : null;
  if (m === null) {
    throw new RangeError(`"${text}" is not a byte size: expected a number of bytes or e.g. "512B", "64KiB", "1.5MiB", "2GB"`);
  }
  const bytes = Number(m[1]) * (m[2] === '' ? 1 : BYTES_PER_UNIT[m[2].toLowerCase()]);
  if (!Number.isInteger(bytes)) throw new RangeError(`"${text}" is ${bytes} bytes: a size must be a whole number of bytes`);
  return bytes;
}

/**
 * Every check happens in the transform, whose issues stop the parse: a
 * refinement of the enclosing object (e.g. min <= max) then never compares a
 * string that failed to parse.
 */
function unitSchema(parse: (text: string) => number, what: string, examples: string) {
  return z
    .union([z.number(), z.string()], {
      error: (issue) => (issue.input === undefined ? `${what} is required` : `expected ${what}: a number or e.g. ${examples}`),
    })
    .transform((v, ctx) => {
      if (typeof v === 'number') {
        if (v < 0) ctx.addIssue({ code: 'custom', message: `expected ${what} >= 0, got ${v}` });
        return v;
      }
      try {
        return parse(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    });
}

/** A duration in seconds: a number (seconds, >= 0) or a string with units. */
export const durationSchema = unitSchema(parseDuration, 'a duration in seconds', '"250ms", "30s", "5m", "2h"').describe(
  'a duration: seconds, or a string such as "250ms", "30s", "5m", "2h", "1h30m"',
);

/** A size in bytes: a number (bytes, >= 0) or a string with units. */
export const byteSizeSchema = unitSchema(parseByteSize, 'a size in bytes', '"512B", "64KiB", "1MB"').describe(
  'a size: bytes, or a string such as "512B", "64KiB", "1.5MiB", "2GB"',
);
