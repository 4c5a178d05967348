/**
 * The leaders' web view (interface.md "Web view and Feishu login"): Feishu login, the session cookie, CSRF, a strict
 * Content-Security-Policy, and the pages. Registered only when PUBLIC_URL is set (or in sandbox mode). Everything here
 * lives in one encapsulated Fastify context, so the headers and the session never touch the webhook or the API.
 */
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyPluginAsync } from 'fastify';
import type { WebLogin } from '../feishu/web-login.js';
import { createGuards } from './auth/guards.js';
import { authRoutes } from './auth/routes.js';
import { sessionPlugin } from './auth/session.js';
import { campaignRoutes } from './campaign/routes.js';
import type { WebContext } from './context.js';
import { webPages } from './pages/index.js';

export interface WebOptions extends Omit<WebContext, 'guards'> {
  login: WebLogin;
  /** SESSION_SECRET (≥ 32 characters), or a random one per process in sandbox mode. */
  sessionSecret: string;
}

/** No inline script or style anywhere: a script the page did not load from us does not run. */
export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'self'"],
};

export const webRoutes: FastifyPluginAsync<WebOptions> = async (app, { login, sessionSecret, ...shared }) => {
  const secure = shared.publicUrl.startsWith('https://');
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { ...CONTENT_SECURITY_POLICY, ...(secure ? { 'upgrade-insecure-requests': [] } : {}) },
    },
    // Photos and ECharts are ours; no cross-origin isolation is needed, and it would break nothing but cost headers.
    crossOriginEmbedderPolicy: false,
    hsts: secure ? { maxAge: 180 * 86400 } : false,
    referrerPolicy: { policy: 'same-origin' },
  });
  await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  await app.register(sessionPlugin, { secret: sessionSecret, secure });
  const context: WebContext = { ...shared, guards: createGuards(app, shared.db, shared.clock) };
  await app.register(authRoutes, { ...context, login });
  await app.register(webPages, context);
  await app.register(campaignRoutes, context);
};
