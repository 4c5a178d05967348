// `npm run db:migrate`: applies the migrations in drizzle/ to DATABASE_URL (or the embedded database) and exits.
// Exits 2 on a configuration error (every problem listed), 1 when the migrations fail.
import { loadConfigForCli } from '../config.js';
import { openDatabase } from './client.js';
import { applyMigrations } from './migrate.js';

async function main(): Promise<number> {
  const config = loadConfigForCli();
  if (!config) return 2;
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    await applyMigrations(database);
    const where = database.kind === 'pglite' ? `内置数据库 ${config.DATA_DIR}` : 'PostgreSQL';
    process.stdout.write(`数据库迁移已完成（${where}）\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`数据库迁移失败：${(error as Error).message}\n`);
    return 1;
  } finally {
    await database.close();
  }
}

process.exitCode = await main();
