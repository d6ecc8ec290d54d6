/**
 * REDIS_URL as users write it (redis://[user:password@]host[:port][/db],
 * rediss:// for TLS), turned into connection options; and the same URL with
 * its password hidden, the only form that may appear in logs and reports.
 */
import type { RedisOptions } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function parseRedisUrl(text: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`"${redactRedisUrl(text)}" is not a Redis URL: expected redis://[user:password@]host[:port][/db]`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new RangeError(`"${redactRedisUrl(text)}" is not a Redis URL: the scheme must be redis:// or rediss://`);
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new RangeError(`"${redactRedisUrl(text)}": the database must be a number, e.g. redis://host:6379/0`);
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    // BullMQ's workers block on Redis and must retry forever rather than fail a command.
    maxRetriesPerRequest: null,
    lazyConnect: false,
  };
}

/** The URL with any password replaced by "***". */
export function redactRedisUrl(text: string): string {
  return text.replace(/^(rediss?:\/\/)([^@/]*)@/, (_m, scheme: string, credentials: string) => {
    const colon = credentials.indexOf(':');
    return colon < 0 ? `${scheme}***@` : `${scheme}${credentials.slice(0, colon)}:***@`;
  });
}
