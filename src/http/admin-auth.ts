import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { errorBody } from './errors.js';

/**
 * A preHandler for `/api/admin/*` (and any route that takes the admin token): 503 `admin_disabled` when ADMIN_TOKEN
 * is unset, 401 `unauthorized` without `Authorization: Bearer <ADMIN_TOKEN>`.
 *
 * The comparison runs in constant time over SHA-256 digests, so neither the token's content nor its length leaks
 * through response timing.
 */
export function requireAdminToken(config: Pick<Config, 'ADMIN_TOKEN'>) {
  const expected = config.ADMIN_TOKEN === undefined ? undefined : digest(config.ADMIN_TOKEN);
  return async function adminAuth(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (expected === undefined) {
      return reply
        .code(503)
        .send(errorBody('admin_disabled', '管理接口未启用：设置 ADMIN_TOKEN 后可用（the admin API is disabled）'));
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      reply.header('www-authenticate', 'Bearer');
      return reply
        .code(401)
        .send(
          errorBody(
            'unauthorized',
            '管理令牌缺失或不正确：请发送 "Authorization: Bearer <ADMIN_TOKEN>"（unauthorized）',
          ),
        );
    }
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
