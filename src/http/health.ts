import type { FastifyPluginAsync } from 'fastify';
import type { Database } from '../db/client.js';

/** What the process knows about itself: server.ts moves it along, `/readyz` and the app's start gate read it. */
export interface Lifecycle {
  ready: boolean;
  shuttingDown: boolean;
}

export interface HealthRoutesOptions {
  lifecycle: Lifecycle;
  database: Pick<Database, 'ping' | 'kind'>;
}

/** GET /healthz (liveness) and GET /readyz (readiness). */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { lifecycle, database }) => {
  // Liveness: the event loop answers. No I/O, so a slow database never gets the process restarted.
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness: migrations applied, the database answers, and we are not shutting down.
  app.get('/readyz', async (_request, reply) => {
    if (lifecycle.shuttingDown) return reply.code(503).send({ status: 'shutting_down' });
    if (!lifecycle.ready) return reply.code(503).send({ status: 'starting' });
    try {
      await withTimeout(database.ping(), 2000);
      return { status: 'ready', database: database.kind };
    } catch (error) {
      return reply.code(503).send({ status: 'database_unavailable', message: (error as Error).message });
    }
  });
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${ms} 毫秒内没有应答（no answer within ${ms} ms）`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
