/**
 * The guards of every web route (viewer.ts): the session's person, looked up again on each request (a person
 * removed from the directory or whose roles changed sees that at once), and an end to the session after
 * SESSION_HOURS on the service clock.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import { errorBody } from '../../http/errors.js';
import { findViewerByOpenId, type Viewer } from '../../ledger/scope.js';
import type { ViewerGuards } from '../viewer.js';
import { LOGIN_PATH } from './routes.js';

export function createGuards(app: FastifyInstance, db: Db, clock: Clock): ViewerGuards {
  async function signedIn(request: FastifyRequest): Promise<Viewer | null> {
    const session = request.session;
    const openId = session.get('openId');
    const personId = session.get('personId');
    const expiresAt = session.get('expiresAt');
    if (!openId || !personId || !expiresAt) return null;
    if (clock.now().getTime() >= expiresAt) {
      session.delete();
      return null;
    }
    const viewer = await findViewerByOpenId(db, openId);
    if (!viewer || viewer.personId !== personId) {
      session.delete();
      return null;
    }
    return viewer;
  }

  return {
    async page(request: FastifyRequest, reply: FastifyReply) {
      request.viewer = await signedIn(request);
      if (request.viewer) return;
      const next = encodeURIComponent(request.url);
      await reply.header('cache-control', 'no-store').redirect(`${LOGIN_PATH}?next=${next}`);
    },
    async json(request: FastifyRequest, reply: FastifyReply) {
      request.viewer = await signedIn(request);
      if (request.viewer) return;
      await reply
        .code(401)
        .send(errorBody('unauthenticated', '未登录或登录已过期，请重新登录（not signed in, or the session expired）'));
    },
    // @fastify/csrf-protection's own hook (callback style): a missing or wrong token answers 403 csrf_invalid.
    csrf: app.csrfProtection,
  };
}
