import pino, { type Logger } from 'pino';

/** Paths that may carry secrets; pino replaces their values before anything is written. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-lark-signature"]',
  '*.appSecret',
  '*.app_secret',
  '*.encryptKey',
  '*.verificationToken',
  '*.tenant_access_token',
  '*.FEISHU_APP_SECRET',
  '*.FEISHU_ENCRYPT_KEY',
  '*.FEISHU_VERIFICATION_TOKEN',
  '*.ADMIN_TOKEN',
  '*.DATABASE_URL',
  '*.SMS_ACCESS_KEY_SECRET',
  '*.accessKeySecret',
  '*.password',
  '*.token',
  // 群众举报: the tipster's identity is for the handlers alone (product.md "Secrecy"), never a log line.
  '*.tipsterName',
  '*.tipsterPhone',
  '*.tipsterIp',
  '*.tipster_name',
  '*.tipster_phone',
  '*.tipster_ip',
  '*.tipster.name',
  '*.tipster.phone',
  '*.tipster.ip',
];

/**
 * A failed query's text as drizzle words it ("Failed query: … params: …"): the parameters are an event's payload
 * (with the Verification Token), a user's message, a card. They stop at the stack's first frame or a cause.
 */
const QUERY_PARAMS = /\nparams: [\s\S]*?(?=\n\s+at |\ncaused by|$)/g;

/** A text with a failed query's parameters taken out. */
export function withoutQueryParams(text: string): string {
  return text.includes('\nparams: ') ? text.replace(QUERY_PARAMS, '\nparams: [redacted]') : text;
}

/** What of an error may be logged: what went wrong and where, never the data it was carrying. */
const ERROR_FIELDS = ['code', 'errno', 'severity', 'constraint', 'constraint_name', 'table', 'column', 'routine'];

/**
 * Errors as the log writes them: type, message, stack, the database's error fields, and the cause — without the SQL
 * parameters a failed query carries (`params`, a driver's `parameters`/`args`, and the "params:" in the message).
 */
export function serializeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) && (typeof error !== 'object' || error === null)) return error;
  const e = error as Error & Record<string, unknown>;
  const out: Record<string, unknown> = {
    type: e.constructor?.name ?? 'Error',
    message: withoutQueryParams(String(e.message ?? '')),
  };
  if (typeof e.stack === 'string') out.stack = withoutQueryParams(e.stack);
  for (const key of ERROR_FIELDS) if (e[key] !== undefined && e[key] !== null) out[key] = e[key];
  if (typeof e.query === 'string') out.query = e.query;
  if (e.cause !== undefined && depth < 4) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

/** JSON lines for machines; pretty output only when a person is watching a terminal and pino-pretty is installed. */
export function createLogger(
  level: string,
  options: { pretty?: boolean; destination?: pino.DestinationStream } = {},
): Logger {
  const pretty = options.pretty ?? (!options.destination && Boolean(process.stdout.isTTY));
  return pino(
    {
      level,
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: { err: serializeError, error: serializeError },
      formatters: {
        // A failed query's text also travels in plain fields (an outbox row's `reason`): take its parameters out.
        log(object) {
          for (const [key, value] of Object.entries(object)) {
            if (typeof value === 'string' && value.includes('\nparams: ')) object[key] = withoutQueryParams(value);
          }
          return object;
        },
      },
      ...(pretty && hasPinoPretty()
        ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } }
        : {}),
    },
    options.destination,
  );
}

function hasPinoPretty(): boolean {
  try {
    import.meta.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
