/**
 * Feishu login for the web view (interface.md): `GET /auth/feishu/login` → Feishu's authorize page (state and a PKCE
 * verifier bound to this browser in the session cookie) → `GET /auth/feishu/callback` (code → token → user_info →
 * the directory person by open_id) → back to the page asked for. `POST /auth/logout` (CSRF-checked) ends it.
 * Inside the Feishu client the authorize page lets a signed-in user straight through, so an unauthenticated page
 * request that redirects here is the 免登: no click.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { type WebLogin, WebLoginError } from '../../feishu/web-login.js';
import { describeScope, findViewerByOpenId } from '../../ledger/scope.js';
import type { WebContext } from '../context.js';
import { viewerOf } from '../viewer.js';
import { contactsFor } from './contacts.js';
import { noticePage } from './notice-page.js';
import { LOGIN_WINDOW_MS, SESSION_HOURS } from './session.js';

export const LOGIN_PATH = '/auth/feishu/login';
export const CALLBACK_PATH = '/auth/feishu/callback';
export const LOGOUT_PATH = '/auth/logout';
export const LOGGED_OUT_PATH = '/auth/logged-out';
export const ME_PATH = '/web/api/me';
const HOME = '/web/';

export interface AuthRoutesOptions extends WebContext {
  login: WebLogin;
}

export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (
  app,
  { db, clock, login, publicUrl, guards },
) => {
  const redirectUri = `${publicUrl}${CALLBACK_PATH}`;

  app.get<{ Querystring: { next?: string } }>(LOGIN_PATH, async (request, reply) => {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(24).toString('base64url');
    request.session.set('login', {
      state,
      verifier,
      next: safeNext(request.query.next),
      startedAt: clock.now().getTime(),
    });
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    return reply
      .header('cache-control', 'no-store')
      .redirect(login.authorizeUrl({ redirectUri, state, codeChallenge: challenge }));
  });

  app.get<{ Querystring: { code?: string; state?: string; error?: string } }>(CALLBACK_PATH, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const pending = request.session.get('login');
    const { code, state, error } = request.query;
    const again = { href: LOGIN_PATH, text: '重新登录' };
    // One callback per login, whatever it carries: a guessed or forged state cannot be tried twice.
    request.session.set('login', undefined);
    if (
      !pending ||
      typeof state !== 'string' ||
      state !== pending.state ||
      clock.now().getTime() - pending.startedAt > LOGIN_WINDOW_MS
    ) {
      // No pending login in this browser (another browser's link, an old tab, a forged callback): start over.
      return notice(reply, 400, {
        title: '登录已失效',
        lines: ['这次登录不是从本浏览器发起的，或已超过 10 分钟。请重新登录。'],
        action: again,
      });
    }
    if (error || typeof code !== 'string' || code === '') {
      return notice(reply, 403, {
        title: '未授权登录',
        lines: ['你在飞书授权页上没有同意登录，所以没有登录。'],
        action: again,
      });
    }
    let user: { openId: string; name: string };
    try {
      user = await login.userFromCode({ code, redirectUri, codeVerifier: pending.verifier });
    } catch (failure) {
      if (!(failure instanceof WebLoginError)) throw failure;
      request.log.warn({ code: failure.code }, 'web login refused by Feishu');
      return notice(reply, 403, { title: '飞书登录未成功', lines: [failure.message], action: again });
    }
    const viewer = await findViewerByOpenId(db, user.openId);
    if (!viewer) {
      request.log.info('web login by someone not in the directory');
      return notice(reply, 403, {
        title: '你不在本县的组织名录中',
        lines: [
          `${user.name || '你'}的飞书账号还没有登记在隐患闭环系统的组织名录里，所以看不到隐患数据。`,
          await contactsFor(db),
        ],
      });
    }
    request.session.set('personId', viewer.personId);
    request.session.set('openId', user.openId);
    request.session.set('expiresAt', clock.now().getTime() + SESSION_HOURS * 3_600_000);
    return reply.redirect(pending.next);
  });

  app.post(LOGOUT_PATH, { preHandler: guards.csrf }, async (request, reply) => {
    request.session.delete();
    return reply.redirect(LOGGED_OUT_PATH, 303);
  });

  /** Who is signed in, what they see, and the CSRF token their page sends with a change. */
  app.get(ME_PATH, { preHandler: guards.json }, async (request, reply) => {
    const viewer = viewerOf(request);
    return reply.header('cache-control', 'no-store').send({
      code: viewer.code,
      name: viewer.name,
      scope: await describeScope(db, viewer.scope),
      roles: [...new Set(viewer.roles.map((r) => r.role))],
      expiresAt: new Date(request.session.get('expiresAt') ?? 0).toISOString(),
      csrfToken: await reply.generateCsrf(),
    });
  });

  app.get(LOGGED_OUT_PATH, async (_request, reply) =>
    // Not a redirect to login: inside Feishu that would sign the person straight back in.
    notice(reply, 200, {
      title: '已退出登录',
      lines: ['你已退出隐患闭环网页。'],
      action: { href: HOME, text: '重新登录' },
    }),
  );
};

/** Only a path of the web view is a place to return to: never another site (an open redirect). */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/web/') || next.startsWith('//') || /[\\\r\n]/.test(next)) {
    return HOME;
  }
  return next.length > 1000 ? HOME : next;
}

function notice(reply: FastifyReply, status: number, page: Parameters<typeof noticePage>[0]): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(noticePage(page));
}
