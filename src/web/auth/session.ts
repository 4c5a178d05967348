/**
 * The web session: a signed and encrypted cookie (@fastify/secure-session, nothing stored server-side, so every
 * replica reads it), HttpOnly, SameSite=Lax (Feishu's authorize page sends the browser back to our callback by a
 * top-level redirect from another site: Strict would drop the cookie that carries the login's state), Secure under
 * https. CSRF tokens (@fastify/csrf-protection) keep their secret in the same cookie.
 */
import { hkdfSync } from 'node:crypto';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifySecureSession from '@fastify/secure-session';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** How long a login lasts, whatever is done meanwhile: a leader signs in again each working day. */
export const SESSION_HOURS = 12;
export const SESSION_COOKIE = 'hz_session';
/** The login's state and PKCE verifier live this long between our redirect and Feishu's callback. */
export const LOGIN_WINDOW_MS = 10 * 60_000;

export interface PendingLogin {
  state: string;
  verifier: string;
  /** Where to go after login (a path under /web/). */
  next: string;
  startedAt: number;
}

declare module '@fastify/secure-session' {
  interface SessionData {
    personId: number;
    openId: string;
    /** Epoch ms after which the session is over (checked against the service clock). */
    expiresAt: number;
    login: PendingLogin;
  }
}

/**
 * The cookie's 32-byte key, from SESSION_SECRET by HKDF-SHA256. Not secure-session's own `secret` + `salt`: that runs
 * Argon2id at its moderate setting (256 MiB, about a second of CPU, on the event loop) at every start, a cost meant
 * for passwords; SESSION_SECRET is a random string of 32 characters or more, so a plain key derivation is enough.
 */
export function sessionKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'hazard-bot', 'web session cookie v1', 32));
}

export const sessionPlugin = fp(
  async (app: FastifyInstance, { secret, secure }: { secret: string; secure: boolean }) => {
    await app.register(fastifySecureSession, {
      key: sessionKey(secret),
      cookieName: SESSION_COOKIE,
      // The cookie outlives the session by a little: our own `expiresAt` (on the service clock) decides.
      expiry: SESSION_HOURS * 3600 + 600,
      cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: SESSION_HOURS * 3600 + 600 },
    });
    await app.register(fastifyCsrf, { sessionPlugin: '@fastify/secure-session' });
  },
  { name: 'web-session' },
);
