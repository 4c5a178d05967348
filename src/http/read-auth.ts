import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { parseScope } from '../directory/model.js';
import { type ResolvedScope, resolveNamedScope, UnknownScopeError } from '../ledger/scope.js';
import { errorBody, HttpError } from './errors.js';

/**
 * A preHandler for the read API: any token of API_TOKENS (`name:token` pairs) or ADMIN_TOKEN is accepted.
 * 503 `read_api_disabled` when neither is configured, 401 `unauthorized` without a matching bearer token.
 * Every configured token is compared (in constant time, over SHA-256 digests), so timing tells nothing about which
 * one came close. The matching token's name is put on the request for logs.
 */
export function requireReadToken(config: Pick<Config, 'ADMIN_TOKEN' | 'API_TOKENS' | 'API_TOKEN_SCOPES'>) {
  const tokens = [
    ...config.API_TOKENS.map((t) => ({ name: t.name, digest: digest(t.token) })),
    ...(config.ADMIN_TOKEN ? [{ name: 'admin', digest: digest(config.ADMIN_TOKEN) }] : []),
  ];
  const scopes = config.API_TOKEN_SCOPES as Record<string, string>;
  return async function readAuth(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (tokens.length === 0) {
      return reply
        .code(503)
        .send(
          errorBody(
            'read_api_disabled',
            '读取接口未启用：设置 API_TOKENS（或 ADMIN_TOKEN）后可用（the read API is disabled）',
          ),
        );
    }
    const match = /^Bearer\s+(.+)$/i.exec((request.headers.authorization ?? '').trim());
    let name: string | undefined;
    if (match) {
      const given = digest(match[1]!);
      for (const token of tokens) if (timingSafeEqual(given, token.digest)) name ??= token.name;
    }
    if (!name) {
      reply.header('www-authenticate', 'Bearer');
      return reply
        .code(401)
        .send(
          errorBody(
            'unauthorized',
            '令牌缺失或不正确：请发送 "Authorization: Bearer <API_TOKENS 中的一个令牌>"（unauthorized）',
          ),
        );
    }
    request.log = request.log.child({ reader: name });
    const bound = Object.hasOwn(scopes, name) ? scopes[name] : undefined;
    if (bound) readerScopes.set(request, bound);
  };
}

/** The scope a request's token is bound to (API_TOKEN_SCOPES), or undefined for a county-wide token. */
const readerScopes = new WeakMap<FastifyRequest, string>();

export function tokenScopeOf(request: FastifyRequest): string | undefined {
  return readerScopes.get(request);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The scope a request's token is bound to (API_TOKEN_SCOPES) as row ids, whatever else the request asks; undefined for
 * a county-wide token. A token bound to a scope the directory no longer has sees nothing: 403, saying why.
 */
export async function boundTokenScope(db: Db, request: FastifyRequest): Promise<ResolvedScope | undefined> {
  const bound = tokenScopeOf(request);
  if (!bound) return undefined;
  const parsed = parseScope(bound);
  try {
    if (parsed) return await resolveNamedScope(db, parsed);
  } catch (error) {
    if (!(error instanceof UnknownScopeError)) throw error;
  }
  throw new HttpError(
    403,
    'token_scope_unknown',
    `此令牌绑定的范围 ${bound} 在组织名录中不存在，请核对 API_TOKEN_SCOPES`,
  );
}
