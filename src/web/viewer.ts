/**
 * The web view's one seam between login and pages: who is looking. The auth plugin puts the signed-in directory
 * person on `request.viewer` (with their scope, as 统计 and 台账 use it); pages and their JSON read only that.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Viewer } from '../ledger/scope.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in person, set by the guards below; null before them or without a session. */
    viewer: Viewer | null;
  }
}

export type ViewerGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface ViewerGuards {
  /** For pages: without a session, a redirect to login (and back here after it). */
  page: ViewerGuard;
  /** For JSON, photos and files: without a session, 401 `{"error": {"code": "unauthenticated", …}}`. */
  json: ViewerGuard;
  /**
   * For every state-changing request (POST/PUT/DELETE): the CSRF token (form field `_csrf`, or header
   * `x-csrf-token`; from `await reply.generateCsrf()` on the page) is checked. Callback style, as the plugin's hook is.
   */
  csrf: (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;
}

/** The viewer a guard has set: for handlers behind `guards.page` or `guards.json`. */
export function viewerOf(request: FastifyRequest): Viewer {
  if (!request.viewer) throw new Error('viewerOf() called on a route without a viewer guard');
  return request.viewer;
}
