/**
 * Feishu web login (OAuth 2.0, feishu-web-groups-sms.md §1): the authorize URL on accounts.feishu.cn, the documented
 * v2 code exchange (`POST /open-apis/authen/v2/oauth/token`; the SDK has no method for it, and its own
 * `client.accessToken` posts to an undocumented endpoint), then `authen/v1/user_info` through the SDK. The user
 * access token is used once, to learn who signed in, and never stored.
 */
import * as lark from '@larksuiteoapi/node-sdk';

const TIMEOUT_MS = 10_000;

export interface WebLoginOptions {
  appId: string;
  appSecret: string;
  /** The Open Platform (token, user_info): FEISHU_BASE_URL. */
  baseUrl: string;
  /** Where the authorize page is: FEISHU_ACCOUNTS_URL. */
  accountsUrl: string;
}

export interface SignedInUser {
  openId: string;
  name: string;
}

/** Feishu refused the login (an old, reused or foreign code, a user outside the app's 可用范围, …). */
export class WebLoginError extends Error {
  constructor(
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'WebLoginError';
  }
}

/** What each refusal means to the person trying to sign in (codes from the token and user_info docs). */
const REFUSALS: Record<number, string> = {
  20003: '授权码无效或已使用，请重新登录',
  20004: '授权码已过期，请重新登录',
  20065: '授权码已使用，请重新登录',
  20010: '你不在本应用的可用范围内，请联系管理员在飞书管理后台把你加入可用范围',
  20009: '本应用尚未在企业内安装',
  20021: '飞书账号已离职',
  20022: '飞书账号已冻结',
};

export interface WebLogin {
  /** The authorize page's URL for this state and PKCE challenge (S256). */
  authorizeUrl(input: { redirectUri: string; state: string; codeChallenge: string }): string;
  /** The authorization code from the callback → who signed in. Throws WebLoginError when Feishu refuses. */
  userFromCode(input: { code: string; redirectUri: string; codeVerifier: string }): Promise<SignedInUser>;
}

export function createWebLogin(options: WebLoginOptions): WebLogin {
  const sdk = new lark.Client({
    appId: options.appId,
    appSecret: options.appSecret,
    domain: options.baseUrl,
    loggerLevel: lark.LoggerLevel.error,
  });
  return {
    authorizeUrl({ redirectUri, state, codeChallenge }) {
      const url = new URL(`${options.accountsUrl}/open-apis/authen/v1/authorize`);
      url.searchParams.set('client_id', options.appId);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('state', state);
      url.searchParams.set('code_challenge', codeChallenge);
      url.searchParams.set('code_challenge_method', 'S256');
      return url.toString();
    },

    async userFromCode({ code, redirectUri, codeVerifier }) {
      const response = await fetch(`${options.baseUrl}/open-apis/authen/v2/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({
          grant_type: 'authorization_code',
          client_id: options.appId,
          client_secret: options.appSecret,
          code,
          redirect_uri: redirectUri,
          code_verifier: codeVerifier,
        }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const token = (await response.json().catch(() => ({}))) as {
        code?: number;
        access_token?: string;
        error_description?: string;
      };
      if (!response.ok || token.code !== 0 || !token.access_token) {
        throw refusal(token.code, `token exchange: HTTP ${response.status} ${token.error_description ?? ''}`);
      }
      let info: { code?: number; msg?: string; data?: { open_id?: string; name?: string } } | undefined;
      try {
        info = await sdk.authen.userInfo.get({}, lark.withUserAccessToken(token.access_token));
      } catch (error) {
        const body = (error as { response?: { data?: { code?: number; msg?: string } } }).response?.data;
        throw refusal(body?.code, `user_info: ${body?.msg ?? String(error)}`);
      }
      if (!info || info.code !== 0 || !info.data?.open_id) throw refusal(info?.code, `user_info: ${info?.msg ?? ''}`);
      return { openId: info.data.open_id, name: info.data.name ?? '' };
    },
  };
}

function refusal(code: number | undefined, detail: string): WebLoginError {
  const said = code !== undefined ? REFUSALS[code] : undefined;
  return new WebLoginError(code, `${said ?? '飞书登录未成功，请重新登录'}（${detail.trim()}）`);
}
