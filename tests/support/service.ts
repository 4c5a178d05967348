import pino from 'pino';
import { type Clock, ManualClock } from '../../src/clock.js';
import { type Config, loadConfig } from '../../src/config.js';
import { type Service, type StartOptions, startService } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface TestService extends Service {
  testDb: TestDatabase;
  clock: Clock;
  config: Config;
  stop(): Promise<void>;
}

/** The real service on a loopback port and a database of its own; `stop()` shuts it down and drops the database. */
export async function startTestService(
  env: Record<string, string> = {},
  options: Omit<StartOptions, 'database'> = {},
): Promise<TestService> {
  const testDb = await createTestDatabase();
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
  const clock = options.clock ?? new ManualClock(new Date());
  const service = await startService(config, {
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    clock,
    ...options,
    database: testDb.database,
  });
  return {
    ...service,
    testDb,
    clock,
    config,
    async stop() {
      await service.shutdown();
      await testDb.drop();
    },
  };
}
