/** The leaders' pages (overview, list, hazard) and their JSON: built in the pages module set. */
import type { FastifyPluginAsync } from 'fastify';
import type { WebContext } from '../context.js';

export const webPages: FastifyPluginAsync<WebContext> = async () => {};
