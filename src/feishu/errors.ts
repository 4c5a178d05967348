/** Sending to a group the bot is not a member of (never added, or removed). */
export const BOT_NOT_IN_CHAT = 230002;
/** SMS / phone 加急: the tenant's urgent quota is used up ("Reach the upper limit of urgent message"). */
export const URGENT_QUOTA_EXHAUSTED = 230024;

/** Feishu's business codes that no retry will fix: the message is given up on and the reason recorded. */
const PERMANENT_CODES: Record<number, string> = {
  230001: '参数错误',
  [BOT_NOT_IN_CHAT]: '机器人不在该群中',
  230006: '机器人能力未开启',
  230013: '用户不在应用可用范围内',
  [URGENT_QUOTA_EXHAUSTED]: '加急额度已用完',
  230017: '用户已离职或不存在',
  230025: '消息内容超过长度限制',
  230031: '消息已超过可更新期限（14 天）',
  230053: '用户已屏蔽机器人',
  230099: '卡片内容无效',
  230110: '消息已被撤回',
  234043: '不支持下载该消息的资源',
  99991672: '应用未获得所需权限',
};

/** Token errors: refresh the tenant token once and retry. */
export const INVALID_TOKEN_CODES = new Set([99991661, 99991663, 99991664, 99991668]);
/** Feishu's rate-limit code (HTTP 429, or 400 on older APIs). */
export const RATE_LIMIT_CODE = 99991400;

export type FeishuErrorKind = 'rate_limited' | 'invalid_token' | 'transient' | 'permanent';

/** One typed error for every failed Feishu call, whatever the SDK threw. */
export class FeishuApiError extends Error {
  constructor(
    readonly kind: FeishuErrorKind,
    readonly code: number | undefined,
    readonly httpStatus: number | undefined,
    message: string,
    /** For rate limits: when Feishu says we may try again. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'FeishuApiError';
  }
}

interface AxiosLikeError {
  response?: { status?: number; data?: unknown; headers?: Record<string, unknown> };
  code?: string;
  message?: string;
}

export function classifyFeishuResult(
  code: number,
  msg: string | undefined,
  httpStatus?: number,
  headers?: Record<string, unknown>,
): FeishuApiError {
  if (code === RATE_LIMIT_CODE || httpStatus === 429) {
    return new FeishuApiError(
      'rate_limited',
      code,
      httpStatus,
      `rate limited: ${msg ?? ''}`.trim(),
      rateLimitResetMs(headers),
    );
  }
  if (INVALID_TOKEN_CODES.has(code))
    return new FeishuApiError('invalid_token', code, httpStatus, msg ?? 'invalid token');
  if (PERMANENT_CODES[code] || (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500)) {
    return new FeishuApiError(
      'permanent',
      code,
      httpStatus,
      `${PERMANENT_CODES[code] ?? 'rejected'} (${code}): ${msg ?? ''}`.trim(),
    );
  }
  return new FeishuApiError('transient', code, httpStatus, `Feishu error ${code}: ${msg ?? ''}`.trim());
}

/** Turns whatever the SDK threw (an AxiosError, a network error, a timeout) into a FeishuApiError. */
export function toFeishuError(error: unknown): FeishuApiError {
  if (error instanceof FeishuApiError) return error;
  const e = error as AxiosLikeError;
  const status = e.response?.status;
  const body = e.response?.data as { code?: unknown; msg?: unknown } | undefined;
  if (status !== undefined) {
    const code = typeof body?.code === 'number' ? body.code : undefined;
    const msg = typeof body?.msg === 'string' ? body.msg : e.message;
    if (code !== undefined) return classifyFeishuResult(code, msg, status, e.response?.headers);
    if (status === 429)
      return new FeishuApiError(
        'rate_limited',
        undefined,
        status,
        'rate limited',
        rateLimitResetMs(e.response?.headers),
      );
    if (status >= 500 || status === 408) return new FeishuApiError('transient', undefined, status, `HTTP ${status}`);
    return new FeishuApiError('permanent', undefined, status, `HTTP ${status}: ${msg ?? ''}`.trim());
  }
  // No response: connection refused/reset, DNS, timeout. The request may or may not have been applied.
  return new FeishuApiError(
    'transient',
    undefined,
    undefined,
    `network: ${e.code ?? ''} ${e.message ?? String(error)}`.trim(),
  );
}

function rateLimitResetMs(headers?: Record<string, unknown>): number | undefined {
  const raw = headers?.['x-ogw-ratelimit-reset'];
  const seconds = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.max(seconds * 1000, 100) : undefined;
}
