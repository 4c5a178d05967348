import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}

/**
 * Migrating a fresh PGlite takes seconds; doing it once and giving every test file a copy of the result costs a
 * fraction of that per file. Each file still gets a database of its own.
 */
export default async function setup(project: TestProject) {
  const pglite = await PGlite.create();
  const database = await openDatabase({ dataDir: '', pglite });
  await applyMigrations(database);
  const dump = await pglite.dumpDataDir('none');
  await database.close();
  const file = path.join(tmpdir(), `hazard-bot-template-${process.pid}.tar`);
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteTemplate', file);
}
