import { readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';

export interface TestDatabase {
  database: Database;
  /** The connection URL when running against PostgreSQL (for child processes), otherwise undefined. */
  url: string | undefined;
  drop(): Promise<void>;
}

/**
 * A database of its own for one test file: a migrated PGlite copy by default, or — with TEST_DATABASE_URL — a fresh
 * PostgreSQL database created for the file and dropped afterwards.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const template = readFileSync(inject('pgliteTemplate'));
    const pglite = await PGlite.create({ loadDataDir: new Blob([template]) });
    const database = await openDatabase({ dataDir: '', pglite });
    return { database, url: undefined, drop: () => database.close() };
  }
  const { url, drop } = await createFreshPostgresDatabase(serverUrl);
  const database = await openDatabase({ databaseUrl: url, dataDir: '' });
  await applyMigrations(database);
  return {
    database,
    url,
    async drop() {
      await database.close();
      await drop();
    },
  };
}

/** One statement on a connection of its own to `url`, closed after (administrative work: create, drop, terminate). */
export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  values?: unknown[],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Creates an empty database next to the one `serverUrl` names; `drop()` removes it (even with open connections). */
export async function createFreshPostgresDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hazard_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
    },
  };
}
