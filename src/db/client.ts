import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import * as schema from './schema/index.js';

/** One type for both drivers; transactions are of this type too, so repository functions take `Db` first. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Runs `SELECT 1`; throws when the database does not answer (within 2 s on PostgreSQL). */
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
  /** Closes every connection; never waits more than a few seconds, even for a server that does not answer. */
  close(): Promise<void>;
}

export interface Leadership {
  /** False once the connection holding the lock is gone (e.g. PostgreSQL restarted): leadership is lost. */
  isHeld(): Promise<boolean>;
  release(): Promise<void>;
}

/** Where the database reports connections it lost (a restart, a failover, a terminated backend). */
export interface DatabaseLogger {
  warn(fields: object, message: string): void;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Connections in the PostgreSQL pool (default 10). */
  poolSize?: number;
  /** For tests: an in-memory PGlite, or one loaded from a prepared data dir tarball. */
  pglite?: PGlite;
  /** Lost connections are logged here (PostgreSQL); without it they are only dropped. */
  logger?: DatabaseLogger;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10, options.logger);
  return openPglite(options);
}

/**
 * Connecting, or waiting for a free pool connection, gives up after this long. It bounds both in node-postgres, so
 * it must cover a burst queued on a busy pool (200 reports at once on 10 connections, on a loaded box, waited more
 * than 5 s in CI and failed); a server that refuses connections fails at once anyway, and the paths that must answer
 * quickly have their own, shorter bounds (the ack: inbound-batcher.ts; /readyz and leadership: CHECK_TIMEOUT_MS).
 */
const CONNECT_TIMEOUT_MS = 30_000;
/** A pool connection unused this long is closed; the pool opens connections again as work comes. */
const IDLE_TIMEOUT_MS = 60_000;
/** Connections are renewed after this long, so a failover behind an unchanged address is followed in time. */
const MAX_LIFETIME_S = 1800;
/**
 * The health and leadership checks give up after this long (client side): a server that cannot be reached without
 * refusing (a network partition) must not leave /readyz or the outbox sender waiting on a socket that never answers.
 */
const CHECK_TIMEOUT_MS = 2000;
/** Closing waits this long for connections to end cleanly, then drops their sockets. */
const CLOSE_TIMEOUT_MS = 5000;

/** Connection settings shared by the pool and the lock connections. */
function connectionConfig(url: string, applicationName: string): pg.ClientConfig {
  return {
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // Notices a dead peer that neither refused nor closed (a partition): the OS probes an idle socket after 10 s.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // Every execution is planned for its own parameters: a statement run with a short id array is never given a
    // generic plan made for "some array" (a scan of everything) after five runs.
    options: '-c plan_cache_mode=force_custom_plan',
  };
}

/** Statements a connection keeps prepared at most; past it, new statements go unnamed (parsed at each run). */
const MAX_NAMED_PER_CONNECTION = 500;
const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    if (statementNames.size >= 4 * MAX_NAMED_PER_CONNECTION) statementNames.clear();
    name = `h${createHash('sha1').update(text).digest('base64url').slice(0, 22)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Makes a connection run drizzle's statements as named prepared statements: parsed once on this connection, then
 * only bound and executed (a statement's text is its name). Unnamed, PostgreSQL parses and analyses every statement
 * anew at each run: in bench:ack, about a sixth more PostgreSQL CPU per event (docs/benchmarks.md). Plans stay
 * per run (`plan_cache_mode=force_custom_plan`). Only statements with parameters: one without goes by the simple
 * protocol, which also carries several statements in one text (migrations).
 */
function prepareStatements(client: pg.Client): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const named = new Set<string>();
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, ...rest: unknown[]) => {
    const values = rest[0];
    if (
      config &&
      typeof config === 'object' &&
      typeof (config as pg.QueryConfig).text === 'string' &&
      !(config as pg.QueryConfig).name &&
      Array.isArray(values) &&
      values.length > 0
    ) {
      const name = statementName((config as pg.QueryConfig).text);
      if (named.has(name) || named.size < MAX_NAMED_PER_CONNECTION) {
        named.add(name);
        return query({ ...(config as object), name }, ...rest);
      }
    }
    return query(config, ...rest);
  };
}

/** A client's socket, to drop when ending it politely takes too long (a server that does not answer). */
function destroySocket(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/** Resolves once `promise` settles or `ms` have passed, whichever is first (true when it settled). */
function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function endClient(client: pg.Client): Promise<void> {
  if (!(await settledWithin(client.end(), CLOSE_TIMEOUT_MS))) destroySocket(client);
}

/**
 * A connection of its own for a session-level advisory lock (a migration, a leader's lease), outside the pool: the
 * lock lives and dies with this one backend, and no pool query ever lands on it. A pg.Client never reconnects, so
 * once its backend is gone every query on it fails, and a new holder has to take a new connection.
 */
async function ownConnection(url: string): Promise<{ client: pg.Client; lost: () => boolean }> {
  const client = new pg.Client(connectionConfig(url, 'hazard-bot-lock'));
  let lost = false;
  // Without a listener, an 'error' event (the backend terminated while nothing runs on it) would end the process.
  client.on('error', () => {
    lost = true;
  });
  client.on('end', () => {
    lost = true;
  });
  try {
    await client.connect();
  } catch (error) {
    await endClient(client);
    throw error;
  }
  return { client, lost: () => lost };
}

function openPostgres(url: string, poolSize: number, logger: DatabaseLogger | undefined): Database {
  const pool = new pg.Pool({
    ...connectionConfig(url, 'hazard-bot'),
    max: poolSize,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    maxLifetimeSeconds: MAX_LIFETIME_S,
  });
  // A connection lost while idle in the pool: the pool has already discarded it, and the next query opens another.
  // Without this listener the 'error' event would end the process.
  pool.on('error', (error) => {
    const { code, message } = error as Error & { code?: string };
    logger?.warn({ code, reason: message }, '数据库连接断开，已丢弃，下次查询时重新连接（database connection lost）');
  });
  // A connection lost while checked out (in a transaction, between two of its statements) emits 'error' on the
  // client, which has no pool listener then: the statements in flight fail with it, and the pool discards the client
  // when it is released (it is no longer queryable). This listener only keeps the event from ending the process.
  // `?prepare=false` in DATABASE_URL: every statement unnamed (a pooler in transaction mode that does not keep
  // prepared statements per client, such as PgBouncer before 1.21).
  const prepare = new URL(url).searchParams.get('prepare') !== 'false';
  pool.on('connect', (client) => {
    client.on('error', () => {});
    if (prepare) prepareStatements(client);
  });
  const db = drizzleNodePg({ client: pool, schema }) as unknown as Db;
  let closing: Promise<void> | undefined;
  return {
    db,
    kind: 'postgres',
    async ping() {
      await pool.query({ text: 'select 1', query_timeout: CHECK_TIMEOUT_MS } as pg.QueryConfig);
    },
    async withAdvisoryLock(key, fn) {
      const { client } = await ownConnection(url);
      try {
        await client.query('select pg_advisory_lock($1)', [key]);
        return await fn();
      } finally {
        // Ending the session releases its lock, whether or not the unlock got through.
        await client.query('select pg_advisory_unlock($1)', [key]).catch(() => {});
        await endClient(client);
      }
    },
    async tryLeadership(key) {
      const { client, lost } = await ownConnection(url);
      let locked = false;
      try {
        const { rows } = await client.query<{ locked: boolean }>({
          text: 'select pg_try_advisory_lock($1) as locked',
          values: [key],
          query_timeout: CHECK_TIMEOUT_MS,
        } as pg.QueryConfig);
        locked = rows[0]?.locked === true;
      } finally {
        if (!locked) await endClient(client);
      }
      if (!locked) return null;
      let held = true;
      const lose = async () => {
        held = false;
        await endClient(client);
      };
      return {
        async isHeld() {
          if (!held) return false;
          if (!lost()) {
            try {
              // Ask the server whether this very backend holds the lock, not merely whether the connection answers.
              const { rows } = await client.query<{ held: boolean }>({
                text: `select exists (
                  select 1 from pg_locks where locktype = 'advisory' and granted and pid = pg_backend_pid()
                    and objsubid = 1 and ((classid::int8 << 32) | objid::int8) = $1) as held`,
                values: [key],
                query_timeout: CHECK_TIMEOUT_MS,
              } as pg.QueryConfig);
              if (rows[0]?.held) return true;
            } catch {
              // The server is away or does not answer: the lock is as good as gone.
            }
          }
          await lose();
          return false;
        },
        async release() {
          if (!held) return;
          await client.query('select pg_advisory_unlock($1)', [key]).catch(() => {});
          await lose();
        },
      };
    },
    close() {
      closing ??= (async () => {
        // pool.end() waits for checked-out connections to come back; one stuck on a server that does not answer
        // would hold it forever, so after a while the sockets left are dropped.
        if (await settledWithin(pool.end(), CLOSE_TIMEOUT_MS)) return;
        for (const client of (pool as unknown as { _clients: pg.Client[] })._clients) destroySocket(client);
      })();
      return closing;
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
