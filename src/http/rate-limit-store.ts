/**
 * A store for @fastify/rate-limit on our own database (PostgreSQL or PGlite), so every replica counts against one
 * limit without a Redis to run. One upsert per hit: the row's window restarts when it has expired, else its count goes
 * up — atomic under concurrent replicas because the row is locked by ON CONFLICT. Old rows are swept now and then.
 * The one writer of `rate_limit_hits`. Time comes from the app's clock, so tests move it rather than sleep.
 */
import { lt, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { rateLimitHits } from '../db/schema/index.js';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** Adds `1` to `key`'s window (of `windowMs`, started now when none is running); returns the count and ms left. */
export async function hitRateLimit(
  db: Db,
  key: string,
  windowMs: number,
  now: Date,
): Promise<{ current: number; ttl: number }> {
  const expires = new Date(now.getTime() + windowMs);
  const expired = sql`${rateLimitHits.expiresAt} <= ${now.toISOString()}::timestamptz`;
  const [row] = await db
    .insert(rateLimitHits)
    .values({ key, hits: 1, expiresAt: expires })
    .onConflictDoUpdate({
      target: rateLimitHits.key,
      set: {
        hits: sql`CASE WHEN ${expired} THEN 1 ELSE ${rateLimitHits.hits} + 1 END`,
        expiresAt: sql`CASE WHEN ${expired} THEN excluded.expires_at ELSE ${rateLimitHits.expiresAt} END`,
      },
    })
    .returning({ hits: rateLimitHits.hits, expiresAt: rateLimitHits.expiresAt });
  return { current: row!.hits, ttl: Math.max(0, row!.expiresAt.getTime() - now.getTime()) };
}

/** `key`'s count in its running window, without counting a hit (0 when none runs). */
export async function readRateLimit(db: Db, key: string, now: Date): Promise<{ current: number; ttl: number }> {
  const [row] = await db
    .select({ hits: rateLimitHits.hits, expiresAt: rateLimitHits.expiresAt })
    .from(rateLimitHits)
    .where(sql`${rateLimitHits.key} = ${key}`);
  if (!row || row.expiresAt.getTime() <= now.getTime()) return { current: 0, ttl: 0 };
  return { current: row.hits, ttl: row.expiresAt.getTime() - now.getTime() };
}

/** Deletes windows that ended before `now` (a minute's grace is not needed: an ended window restarts anyway). */
export async function sweepRateLimits(db: Db, now: Date): Promise<void> {
  await db.delete(rateLimitHits).where(lt(rateLimitHits.expiresAt, now));
}

const SWEEP_EVERY = 500;

/** The store class @fastify/rate-limit instantiates (`store:` option), bound to our database and clock. */
export function databaseRateLimitStore(db: Db, clock: Clock) {
  let hitsSinceSweep = 0;
  return class DatabaseRateLimitStore {
    incr(key: string, callback: Callback, timeWindow: number): void {
      const now = clock.now();
      hitRateLimit(db, key, timeWindow, now)
        .then(async (result) => {
          if (++hitsSinceSweep >= SWEEP_EVERY) {
            hitsSinceSweep = 0;
            await sweepRateLimits(db, now).catch(() => undefined);
          }
          callback(null, result);
        })
        .catch((error: Error) => callback(error));
    }

    read(key: string, callback: Callback): void {
      readRateLimit(db, key, clock.now()).then(
        (result) => callback(null, result),
        (error: Error) => callback(error),
      );
    }

    child(): DatabaseRateLimitStore {
      // Keys carry their purpose (`tip:addr:…`, `tip:phone:…`), so one table serves every route.
      return this;
    }
  };
}
