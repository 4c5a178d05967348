import { fileURLToPath } from 'node:url';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type AppDeps, buildApp, type Lifecycle } from './app.js';
import { type Clock, systemClock } from './clock.js';
import { type Config, ConfigError, loadConfig, loadDotEnv } from './config.js';
import { type Database, openDatabase } from './db/client.js';
import { applyMigrations } from './db/migrate.js';
import { createMetrics } from './http/metrics.js';
import { createLogger } from './logger.js';

/** Background work (outbox sender, scheduler…) that must stop before the database closes. */
export interface Worker {
  name: string;
  start(): void;
  stop(): Promise<void>;
}

export interface Service {
  app: FastifyInstance;
  deps: AppDeps;
  url: string;
  /** Stop accepting, let in-flight requests and workers finish, close the database. Idempotent. */
  shutdown(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  /** An already opened database (tests); by default it is opened from the configuration. */
  database?: Database;
  /** Tests add routes here before the server listens. */
  configure?: (app: FastifyInstance) => void | Promise<void>;
}

export async function startService(config: Config, options: StartOptions = {}): Promise<Service> {
  const startedAt = performance.now();
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const lifecycle: Lifecycle = { ready: false, shuttingDown: false };
  const database =
    options.database ?? (await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR }));
  const deps: AppDeps = {
    config,
    database,
    logger,
    metrics: createMetrics(),
    clock: options.clock ?? systemClock,
    lifecycle,
  };
  const workers: Worker[] = [];

  let app: FastifyInstance;
  try {
    app = await buildApp(deps);
    await options.configure?.(app);
    // Listen before migrating, so /healthz answers and /readyz says "starting" while migrations run.
    await app.listen({ port: config.PORT, host: config.HOST });
    await applyMigrations(database);
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  for (const worker of workers) worker.start();
  lifecycle.ready = true;

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://127.0.0.1:${port}`;
  logger.info(
    { port, database: database.kind, dataDir: database.kind === 'pglite' ? config.DATA_DIR : undefined },
    `ready in ${Math.round(performance.now() - startedAt)} ms`,
  );

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      lifecycle.shuttingDown = true;
      // app.close() stops accepting connections and resolves once in-flight requests have been answered.
      await app.close();
      await Promise.all(workers.map((w) => w.stop()));
      await database.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { app, deps, url, shutdown };
}

async function main(): Promise<void> {
  loadDotEnv();
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  let service: Service;
  try {
    service = await startService(config, { logger });
  } catch (error) {
    logger.fatal({ err: error }, `could not start: ${(error as Error).message}`);
    process.exit(1);
  }
  // SIGTERM/SIGINT: finish in-flight work and exit 0; Kubernetes and Docker wait 10 s by default before SIGKILL.
  closeWithGrace({ delay: 9000, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.info({ signal }, 'shutting down');
    await service.shutdown();
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
}
