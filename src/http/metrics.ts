import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';

export interface MetricsRouteOptions {
  registry: Registry;
}

/** GET /metrics: the Prometheus text of the app's registry (the metrics themselves live in src/metrics.ts). */
export const metricsRoute: FastifyPluginAsync<MetricsRouteOptions> = async (app, { registry }) => {
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
};
