/** The campaign's own measures (存量/增量, 动态清零, 通报晾晒, inspection quality) for the signed-in viewer. */
import type { FastifyPluginAsync } from 'fastify';
import type { WebContext } from '../context.js';

export const campaignRoutes: FastifyPluginAsync<WebContext> = async () => {};
