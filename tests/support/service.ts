import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pino from 'pino';
import { type Clock, ManualClock } from '../../src/clock.js';
import { type Config, loadConfig } from '../../src/config.js';
import { type FeishuSim, type SimOptions, startFeishuSim } from '../../src/dev/feishu-sim/index.js';
import { type Service, type StartOptions, startService } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface TestService extends Service {
  testDb: TestDatabase;
  clock: Clock;
  config: Config;
  sim: FeishuSim;
  stop(): Promise<void>;
}

export interface TestServiceOptions extends Omit<StartOptions, 'database'> {
  /** Options of the Feishu simulator the service talks to (its own, per service). */
  sim?: SimOptions;
  /**
   * The web view on: the service listens on a free port known in advance, PUBLIC_URL is that address, and Feishu's
   * login page is the simulator's (tests/support/web-login.ts signs in through it).
   */
  web?: boolean;
}

/**
 * The real service on a loopback port with a database of its own, connected to a Feishu simulator of its own:
 * events arrive signed by the simulator, messages leave through the real SDK. `stop()` tears all of it down.
 */
export async function startTestService(
  env: Record<string, string> = {},
  options: TestServiceOptions = {},
): Promise<TestService> {
  // Nothing leaves the machine in a test: an SMS gateway is a fake, or an endpoint on loopback.
  if (
    env.SMS_PROVIDER &&
    env.SMS_PROVIDER !== 'off' &&
    !options.sms?.gateway &&
    !/127\.0\.0\.1|localhost/.test(env.SMS_ENDPOINT ?? '')
  ) {
    throw new Error('a test service with SMS_PROVIDER needs options.sms.gateway or a loopback SMS_ENDPOINT');
  }
  const sim = await startFeishuSim(options.sim);
  const testDb = await createTestDatabase();
  const webEnv: Record<string, string> = {};
  if (options.web) {
    const port = await freePort();
    Object.assign(webEnv, {
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      SESSION_SECRET: randomBytes(32).toString('base64'),
      FEISHU_ACCOUNTS_URL: sim.url,
    });
  }
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    FEISHU_APP_ID: sim.appId,
    FEISHU_APP_SECRET: sim.appSecret,
    FEISHU_BASE_URL: sim.url,
    FEISHU_VERIFICATION_TOKEN: sim.verificationToken,
    ...(sim.encryptKey ? { FEISHU_ENCRYPT_KEY: sim.encryptKey } : {}),
    FEISHU_EVENT_MODE: options.sim?.eventMode ?? 'webhook',
    ...webEnv,
    ...env,
  });
  const clock = options.clock ?? new ManualClock(new Date());
  const service = await startService(config, {
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    clock,
    ...options,
    // No cron tasks: tests drive sweeps themselves, and a real-time tick (every 5 minutes) in the middle of a test
    // would sweep beside it and split its batches. The catch-up at start and the takeover check still run.
    reminders: { ...options.reminders, scheduler: { cron: false, ...options.reminders?.scheduler } },
    database: testDb.database,
  });
  sim.setBotUrl(`${service.url}/feishu/events`);
  return {
    ...service,
    testDb,
    clock,
    config,
    sim,
    async stop() {
      await service.shutdown();
      await testDb.drop();
      await sim.close();
    },
  };
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`): for work done in the background. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A TCP port nothing listens on right now (the OS picks it; a race with another process is unlikely on loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
