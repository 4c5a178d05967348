import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { preparingStatements } from './prepared.js';
import * as schema from './schema/index.js';

/** One type for both drivers; transactions are of this type too, so repository functions take `Db` first. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Runs `SELECT 1`; throws when the database does not answer. */
  ping(): Promise<void>;
  /**
   * Runs `fn` while holding a session-level advisory lock on a dedicated connection, so that work such as migrations
   * happens once even when several replicas start together.
   */
  withAdvisoryLock<T>(key: number, fn: () => Promise<T>): Promise<T>;
  /**
   * Tries to become the one holder of `key` (a session-level advisory lock on a dedicated connection). Null when
   * another process holds it. The lock dies with the process or its connection, so a successor takes over.
   */
  tryLeadership(key: number): Promise<Leadership | null>;
  close(): Promise<void>;
}

export interface Leadership {
  /** False once the connection holding the lock is gone (e.g. PostgreSQL restarted): leadership is lost. */
  isHeld(): Promise<boolean>;
  release(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Connections in the postgres.js pool. */
  poolSize?: number;
  /** For tests: an in-memory PGlite, or one loaded from a prepared data dir tarball. */
  pglite?: PGlite;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10);
  return openPglite(options);
}

/**
 * A connection of its own for a session-level advisory lock (a migration, a leader's lease), outside the pool: the
 * lock lives and dies with this one backend, and no pool query ever lands on it. (A reserved pool connection would
 * be handed back to the pool after its backend died, and later queries through the old handle would run on another
 * backend — one without the lock.)
 */
function ownConnection(url: string) {
  return postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: 'hazard-bot-lock' } });
}

function openPostgres(url: string, poolSize: number): Database {
  const client = postgres(url, {
    max: poolSize,
    onnotice: () => {},
    // force_custom_plan: every execution of a prepared statement is planned for its own parameters (prepared.ts).
    connection: { application_name: 'hazard-bot', plan_cache_mode: 'force_custom_plan' },
  });
  const db = drizzlePostgres(preparingStatements(client), { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    async ping() {
      await client`select 1`;
    },
    async withAdvisoryLock(key, fn) {
      const session = ownConnection(url);
      try {
        await session`select pg_advisory_lock(${key})`;
        return await fn();
      } finally {
        // Ending the session releases its lock, whether or not the unlock got through.
        await session`select pg_advisory_unlock(${key})`.catch(() => {});
        await session.end({ timeout: 5 });
      }
    },
    async tryLeadership(key) {
      const session = ownConnection(url);
      let locked = false;
      try {
        const [row] = await session<{ locked: boolean }[]>`select pg_try_advisory_lock(${key}) as locked`;
        locked = row?.locked === true;
      } finally {
        if (!locked) await session.end({ timeout: 5 }).catch(() => {});
      }
      if (!locked) return null;
      let held = true;
      const lose = async () => {
        held = false;
        await session.end({ timeout: 5 }).catch(() => {});
      };
      return {
        async isHeld() {
          if (!held) return false;
          try {
            // A session whose backend died reconnects for this query, to a backend without the lock: ask the
            // server whether this very backend holds it, not merely whether the connection answers.
            const [row] = await session<{ held: boolean }[]>`select exists (
              select 1 from pg_locks where locktype = 'advisory' and granted and pid = pg_backend_pid()
                and objsubid = 1 and ((classid::int8 << 32) | objid::int8) = ${key}) as held`;
            if (row?.held) return true;
          } catch {
            // The server is away: the lock went with the backend.
          }
          await lose();
          return false;
        },
        async release() {
          if (!held) return;
          await session`select pg_advisory_unlock(${key})`.catch(() => {});
          await lose();
        },
      };
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}

/**
 * PGlite is single-process: a second process opening the same data dir would corrupt it, so we hold a pid lock file
 * and refuse to start while another live process holds it.
 */
function lockDataDir(dataDir: string): () => void {
  const lockFile = path.join(dataDir, 'hazard-bot.pid');
  try {
    const holder = Number(readFileSync(lockFile, 'utf8').trim());
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new Error(
        `DATA_DIR ${dataDir} is in use by process ${holder}; the embedded database serves one process at a time (set DATABASE_URL to run several)`,
      );
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  writeFileSync(lockFile, String(process.pid));
  return () => rmSync(lockFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  let unlock = () => {};
  let client = options.pglite;
  if (!client) {
    const dataDir = path.resolve(options.dataDir);
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
    try {
      client = await PGlite.create(path.join(dataDir, 'pgdata'));
    } catch (error) {
      unlock();
      throw error;
    }
  }
  const pg = client;
  const db = drizzlePglite(pg, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    async ping() {
      await db.execute(sql`select 1`);
    },
    // One process owns a PGlite database, so there is nobody to exclude.
    withAdvisoryLock: (_key, fn) => fn(),
    tryLeadership: async () => ({ isHeld: async () => !pg.closed, release: async () => {} }),
    async close() {
      if (!pg.closed) await pg.close();
      unlock();
    },
  };
}
