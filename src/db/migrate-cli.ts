// `npm run db:migrate`: applies the migrations in drizzle/ to DATABASE_URL (or the embedded database) and exits.
import { loadConfig, loadDotEnv } from '../config.js';
import { openDatabase } from './client.js';
import { applyMigrations } from './migrate.js';

loadDotEnv();
const config = loadConfig();
const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
try {
  await applyMigrations(database);
  console.log(`migrations applied (${database.kind})`);
} finally {
  await database.close();
}
