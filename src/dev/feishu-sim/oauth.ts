/**
 * Feishu's web login, simulated (feishu-web-groups-sms.md §1): the authorize page on accounts.feishu.cn (here: pick a
 * user the simulator knows, or refuse), the v2 token exchange (flat JSON, single-use codes valid 5 minutes, PKCE S256
 * or plain, redirect_uri checked when sent) and `authen/v1/user_info` with the user access token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { SimState } from './state.js';
import { TENANT_KEY } from './state.js';

export const AUTHORIZE_PATH = '/open-apis/authen/v1/authorize';
const GRANT_PATH = '/open-apis/authen/v1/authorize/grant';
const CODE_TTL_MS = 5 * 60_000;
const TOKEN_TTL_S = 7200;

interface IssuedCode {
  openId: string;
  redirectUri: string;
  challenge: string | undefined;
  challengeMethod: string;
  expiresAt: number;
  used: boolean;
}

type FlatAnswer = { status: number; json: Record<string, unknown> };

export class OAuthBook {
  private readonly codes = new Map<string, IssuedCode>();
  private readonly userTokens = new Map<string, { openId: string; expiresAt: number }>();

  constructor(
    private readonly state: SimState,
    private readonly appId: string,
    private readonly appSecret: string,
  ) {}

  /** GET authorize (the page) and GET authorize/grant (a pick on it): true when the path was ours. */
  handlePage(method: string, url: URL, res: ServerResponse): boolean {
    if (method !== 'GET' || (url.pathname !== AUTHORIZE_PATH && url.pathname !== GRANT_PATH)) return false;
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri') ?? '';
    if (q.get('client_id') !== this.appId) return page(res, 400, '应用不存在（client_id 无效）', '');
    if (q.get('response_type') !== 'code') return page(res, 400, '参数错误：response_type 必须为 code', '');
    if (!/^https?:\/\//.test(redirectUri)) return page(res, 400, '参数错误：redirect_uri 无效', '');
    const back = new URL(redirectUri);
    const state = q.get('state');
    if (url.pathname === GRANT_PATH) {
      const pick = q.get('pick');
      if (pick === 'deny') {
        back.searchParams.set('error', 'access_denied');
      } else {
        const user = pick ? this.state.users.get(pick) : undefined;
        if (!user) return page(res, 400, '没有这个用户', '');
        back.searchParams.set('code', this.issueCode(user.openId, redirectUri, q));
      }
      if (state !== null) back.searchParams.set('state', state);
      res.writeHead(302, { location: back.toString(), 'cache-control': 'no-store' });
      res.end();
      return true;
    }
    const grant = (pick: string) => {
      const link = new URL(`http://sim.local${GRANT_PATH}`);
      for (const [k, v] of q) link.searchParams.set(k, v);
      link.searchParams.set('pick', pick);
      return `${GRANT_PATH}${link.search}`;
    };
    const people = [...this.state.users.values()]
      .map(
        (u) =>
          `<li><a class="person" data-open-id="${escapeHtml(u.openId)}" href="${escapeHtml(grant(u.openId))}">${escapeHtml(u.name)}</a>` +
          ` <small>${escapeHtml(u.openId)}</small></li>`,
      )
      .join('');
    return page(
      res,
      200,
      '飞书登录（模拟器）',
      `<p>以谁的身份登录？</p><ul>${people || '<li>模拟器里还没有用户</li>'}</ul>` +
        `<p><a class="deny" href="${escapeHtml(grant('deny'))}">拒绝授权</a></p>`,
    );
  }

  /** POST /open-apis/authen/v2/oauth/token (grant_type authorization_code): flat JSON like Feishu's. */
  exchange(body: Record<string, unknown> | undefined): FlatAnswer {
    const fail = (status: number, code: number, error: string, description: string): FlatAnswer => ({
      status,
      json: { code, error, error_description: description },
    });
    if (!body || typeof body !== 'object') return fail(400, 20063, 'invalid_request', 'malformed request');
    if (body.grant_type !== 'authorization_code') return fail(400, 20036, 'unsupported_grant_type', 'bad grant_type');
    if (!body.client_id || !body.client_secret || !body.code)
      return fail(400, 20001, 'invalid_request', 'missing param');
    if (body.client_id !== this.appId || body.client_secret !== this.appSecret) {
      return fail(401, 20002, 'invalid_client', 'client_secret is invalid');
    }
    const issued = this.codes.get(String(body.code));
    if (!issued) return fail(400, 20003, 'invalid_grant', 'code not found');
    if (issued.used) return fail(400, 20065, 'invalid_grant', 'code already used');
    if (this.state.now().getTime() > issued.expiresAt) return fail(400, 20004, 'invalid_grant', 'code expired');
    if (body.redirect_uri !== undefined && body.redirect_uri !== issued.redirectUri) {
      return fail(400, 20071, 'invalid_grant', 'redirect_uri mismatch');
    }
    if (issued.challenge !== undefined) {
      const verifier = String(body.code_verifier ?? '');
      const computed =
        issued.challengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (verifier.length < 43 || computed !== issued.challenge) {
        return fail(400, 20049, 'invalid_grant', 'PKCE verification failed');
      }
    }
    issued.used = true;
    const token = `u-${randomBytes(24).toString('base64url')}`;
    this.userTokens.set(token, { openId: issued.openId, expiresAt: this.state.now().getTime() + TOKEN_TTL_S * 1000 });
    return {
      status: 200,
      json: { code: 0, access_token: token, expires_in: TOKEN_TTL_S, token_type: 'Bearer', scope: '' },
    };
  }

  /** GET /open-apis/authen/v1/user_info with `Authorization: Bearer <user_access_token>`. */
  userInfo(authorization: string | undefined): FlatAnswer {
    const token = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim() ?? '';
    const held = this.userTokens.get(token);
    const user = held && held.expiresAt > this.state.now().getTime() ? this.state.users.get(held.openId) : undefined;
    if (!user) return { status: 401, json: { code: 20005, msg: 'invalid access token' } };
    return {
      status: 200,
      json: {
        code: 0,
        msg: 'success',
        data: {
          name: user.name,
          en_name: '',
          open_id: user.openId,
          union_id: user.unionId ?? `on_${user.openId.slice(3)}`,
          tenant_key: TENANT_KEY,
          avatar_url: '',
          ...(user.mobile ? { mobile: user.mobile } : {}),
        },
      },
    };
  }

  private issueCode(openId: string, redirectUri: string, q: URLSearchParams): string {
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, {
      openId,
      redirectUri,
      challenge: q.get('code_challenge') ?? undefined,
      challengeMethod: q.get('code_challenge_method') ?? 'plain',
      expiresAt: this.state.now().getTime() + CODE_TTL_MS,
      used: false,
    });
    return code;
  }
}

function page(res: ServerResponse, status: number, title: string, body: string): true {
  const html =
    `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>` +
    `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
  return true;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
