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
];

/** JSON lines for machines; pretty output only when a person is watching a terminal and pino-pretty is installed. */
export function createLogger(level: string, options: { pretty?: boolean } = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  return pino({
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    ...(pretty && hasPinoPretty()
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  });
}

function hasPinoPretty(): boolean {
  try {
    import.meta.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
