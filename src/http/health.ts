import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';

export function registerHealthRoutes(app: FastifyInstance, deps: AppDeps): void {
  // Liveness: the event loop answers. No I/O, so a slow database never gets the process restarted.
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness: migrations applied, the database answers, and we are not shutting down.
  app.get('/readyz', async (_request, reply) => {
    const { lifecycle } = deps;
    if (lifecycle.shuttingDown) return reply.code(503).send({ status: 'shutting_down' });
    if (!lifecycle.ready) return reply.code(503).send({ status: 'starting' });
    try {
      await withTimeout(deps.database.ping(), 2000);
      return { status: 'ready', database: deps.database.kind };
    } catch (error) {
      return reply.code(503).send({ status: 'database_unavailable', message: (error as Error).message });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
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
