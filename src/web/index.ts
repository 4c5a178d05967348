/**
 * The leaders' web view (interface.md "Web view and Feishu login"): Feishu login, the session cookie, CSRF, a strict
 * Content-Security-Policy, and the pages. Registered only when PUBLIC_URL is set (or in sandbox mode).
 */
import type { FastifyPluginAsync } from 'fastify';
import { campaignRoutes } from './campaign/routes.js';
import type { WebContext } from './context.js';
import { webPages } from './pages/index.js';

export const webRoutes: FastifyPluginAsync<WebContext> = async (app, context) => {
  await app.register(webPages, context);
  await app.register(campaignRoutes, context);
};
