import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import type { UploadLimitOptions } from './directory/check-upload.js';
import type { FeishuClient } from './feishu/client.js';
import type { FeishuDispatcher } from './feishu/dispatcher.js';
import type { OutboxSender } from './feishu/outbox-sender.js';
import { registerWebhookRoutes } from './feishu/receivers/webhook.js';
import { CHECKLIST_TYPES, checklistAdminRoutes } from './http/admin-checklists.js';
import { DIRECTORY_TYPES, directoryAdminRoutes } from './http/admin-directory.js';
import { plansAdminRoutes } from './http/admin-plans.js';
import { sweepAdminRoutes } from './http/admin-sweep.js';
import { tipPosterRoutes } from './http/admin-tips-qr.js';
import { errorBody, HttpError } from './http/errors.js';
import { healthRoutes, type Lifecycle } from './http/health.js';
import { metricsRoute } from './http/metrics.js';
import { readApiRoutes } from './http/read-api.js';
import { tipRoutes } from './http/tips.js';
import type { Metrics } from './metrics.js';
import type { Reminders } from './reminders/index.js';
import { type WebOptions, webRoutes } from './web/index.js';

export interface AppDeps {
  config: Config;
  database: Database;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  lifecycle: Lifecycle;
  feishu: FeishuClient;
  dispatcher: FeishuDispatcher;
  outboxSender: OutboxSender;
  /** The reminder and escalation sweep, digest and scheduler. */
  reminders: Reminders;
  /** The Feishu app in use: the configured one, or the in-process simulator's in sandbox mode. */
  feishuApp: FeishuApp;
  /** Limits of uploaded files and of the worker that parses them (tests lower them). */
  uploads?: UploadLimitOptions | undefined;
  /** The web view: its address, session secret and Feishu login; undefined = no web view (PUBLIC_URL unset). */
  web?: Pick<WebOptions, 'publicUrl' | 'sessionSecret' | 'login'> | undefined;
}

export interface FeishuApp {
  appId: string;
  appSecret: string;
  baseUrl: string;
  encryptKey: string | undefined;
  verificationToken: string | undefined;
  sandbox: boolean;
}

/** Routes that answer before the service is ready (they report on readiness rather than need it). */
const ALWAYS_OPEN = new Set(['/healthz', '/readyz', '/metrics']);

/** A Fastify instance with every plugin and route, not listening: the server listens, tests inject. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const options: FastifyServerOptions = {
    loggerInstance: deps.logger,
    bodyLimit: 1024 * 1024,
    // request.ip is the client's only behind the proxies TRUST_PROXY names; by default X-Forwarded-For is ignored, so
    // nobody can dodge the tip page's rate limits by writing the header.
    trustProxy: trustProxyOption(deps.config.TRUST_PROXY),
    // One line per request would drown the log at Feishu's event rates; failures are logged in onResponse.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Errors before a route is found (a path parameter over 100 characters, a URL that does not decode) and before
    // a request is even parsed (raw non-ASCII in the request line) answer in our error format, not Fastify's English.
    frameworkErrors: (error, _request, reply) => {
      const known = FRAMEWORK_ERRORS[(error as { code?: string }).code ?? ''];
      const [status, code, message] = known ?? [400, 'bad_request', '请求有误'];
      (reply as unknown as FastifyReply)
        .code(status)
        .send(errorBody(code, `${message}（${error.message.slice(0, 200)}）`));
    },
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      const status = (error as { code?: string }).code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = JSON.stringify(
        errorBody(
          status === 431 ? 'headers_too_large' : 'malformed_request',
          status === 431
            ? '请求头过大（request header fields too large）'
            : '请求无法解析：地址中的中文等字符须经 URL 编码（the request could not be parsed; percent-encode the URL）',
        ),
      );
      socket.end(
        `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
          `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
    },
  };
  const app = Fastify(options) as unknown as FastifyInstance;

  app.addHook('onRequest', async (request, reply) => {
    if (!deps.lifecycle.ready && !ALWAYS_OPEN.has(request.url.split('?')[0] ?? '')) {
      reply.code(503).send(errorBody('starting', '服务正在启动，请几秒后再试（the service is starting）'));
    }
  });

  // While shutting down, close each connection after its last answer: otherwise an idle keep-alive socket would
  // hold app.close() open for the whole keep-alive timeout.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (deps.lifecycle.shuttingDown) reply.header('connection', 'close');
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.httpRequestDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    // A tip's tracking key travels in its link (`/tip/:code?key=`): never into the log.
    const url = request.url.replace(/([?&]key=)[^&]*/g, '$1[redacted]');
    if (reply.statusCode >= 500) request.log.warn({ url, status: reply.statusCode }, 'request failed');
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).send(errorBody(error.code, error.message, error.details));
    }
    const fastifyError = error as { statusCode?: number; code?: string; message: string; validation?: unknown };
    const status = fastifyError.statusCode ?? 500;
    if (status < 500) {
      const code = clientErrorCode(status, fastifyError.code);
      // Fastify's own wording stays in brackets after ours: it names the exact limit or parse error.
      const ours =
        code === 'unsupported_media_type' && request.url.startsWith('/api/admin/directory')
          ? DIRECTORY_TYPES
          : code === 'unsupported_media_type' && request.url.startsWith('/api/admin/checklists')
            ? CHECKLIST_TYPES
            : (CLIENT_ERROR_MESSAGES[code] ?? '请求有误');
      const message = `${ours}（${fastifyError.message}）`;
      return reply.code(status).send(errorBody(code, message, fastifyError.validation));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(errorBody('internal', '服务内部出错，运维人员可在日志中查看详情（internal error）'));
  });

  app.setNotFoundHandler((request, reply) => {
    const route = `${request.method} ${request.url.split('?')[0]}`;
    reply.code(404).send(errorBody('not_found', `没有这个接口：${route}（no route ${route}）`));
  });

  const { config, clock, feishu } = deps;
  const { db } = deps.database;
  await app.register(healthRoutes, { lifecycle: deps.lifecycle, database: deps.database });
  await app.register(metricsRoute, { registry: deps.metrics.registry });
  await app.register(directoryAdminRoutes, {
    config,
    db,
    clock,
    resolveUserIds: (query) => feishu.resolveUserIds(query),
    isBotInChat: (chatId) => feishu.isBotInChat(chatId),
    policy: deps.reminders.settings.policy,
    uploads: deps.uploads,
  });
  await app.register(checklistAdminRoutes, { config, db, clock });
  await app.register(sweepAdminRoutes, { config, reminders: deps.reminders });
  await app.register(tipPosterRoutes, { config, db, publicUrl: deps.web?.publicUrl });
  await app.register(plansAdminRoutes, { config, db, clock, calendar: deps.reminders.settings.calendar });
  await app.register(readApiRoutes, { config, db, clock, calendar: deps.reminders.settings.calendar });
  await app.register(tipRoutes, {
    config,
    db,
    clock,
    calendar: deps.reminders.settings.calendar,
    feishu,
    logger: deps.logger,
    secret: deps.config.TIP_SECRET ?? deps.web?.sessionSecret ?? null,
  });
  if (deps.web) {
    await app.register(webRoutes, { ...deps.web, config, db, clock, calendar: deps.reminders.settings.calendar });
  }
  await registerWebhookRoutes(app, {
    encryptKey: deps.feishuApp.encryptKey,
    verificationToken: deps.feishuApp.verificationToken,
    dispatcher: deps.dispatcher,
    metrics: deps.metrics,
    logger: deps.logger,
    now: () => new Date(),
  });
  return app;
}

/** TRUST_PROXY as Fastify takes it: a hop count becomes "the first n hops" (its types take no number). */
function trustProxyOption(value: boolean | number | string[] | undefined): FastifyServerOptions['trustProxy'] {
  if (typeof value !== 'number') return value ?? false;
  return (_address: string, hop: number) => hop < value;
}

/** Fastify's own errors before routing: status, our code, and what it means. */
const FRAMEWORK_ERRORS: Record<string, [number, string, string]> = {
  FST_ERR_MAX_PARAM_LENGTH: [414, 'param_too_long', '地址中的参数过长'],
  FST_ERR_BAD_URL: [400, 'bad_url', '地址无法解析（请对其中的特殊字符做 URL 编码）'],
};

/** What each client error code means, said to the person who sent the request. */
const CLIENT_ERROR_MESSAGES: Record<string, string> = {
  body_too_large: '请求体过大',
  unsupported_media_type: '不支持的请求内容类型',
  invalid_json: '请求体不是有效的 JSON',
  invalid_request: '请求不符合要求',
  bad_request: '请求有误',
  csrf_invalid: '页面已过期或来源不明（CSRF 校验未通过），请刷新页面后再试',
};

function clientErrorCode(status: number, fastifyCode?: string): string {
  switch (fastifyCode) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported_media_type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'invalid_json';
    case 'FST_ERR_VALIDATION':
      return 'invalid_request';
    case 'FST_CSRF_INVALID_TOKEN':
    case 'FST_CSRF_MISSING_SECRET':
      return 'csrf_invalid';
  }
  if (status === 400 && fastifyCode === undefined) return 'invalid_json';
  return status === 413 ? 'body_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request';
}
