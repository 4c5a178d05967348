import { z } from 'zod';

/** An empty variable means "unset": operators often write `FOO=` in .env files to switch a thing off. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const port = z.coerce
  .number({ message: 'must be a whole number from 0 to 65535' })
  .int('must be a whole number from 0 to 65535')
  .min(0, 'must be a whole number from 0 to 65535')
  .max(65535, 'must be a whole number from 0 to 65535');

const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as Asia/Shanghai' },
);

const envSchema = z
  .object({
    PORT: optional(port).default(3000),
    HOST: optional(z.string()).default('0.0.0.0'),
    DATABASE_URL: optional(
      z
        .string()
        .regex(
          /^postgres(ql)?:\/\/.+/,
          'must be a postgres:// or postgresql:// URL (leave it unset for the embedded database)',
        ),
    ),
    DATA_DIR: optional(z.string()).default('./data'),
    FEISHU_APP_ID: optional(z.string()),
    FEISHU_APP_SECRET: optional(z.string()),
    FEISHU_ENCRYPT_KEY: optional(z.string()),
    FEISHU_VERIFICATION_TOKEN: optional(z.string()),
    FEISHU_BASE_URL: optional(z.url({ message: 'must be an http(s) URL such as https://open.feishu.cn' }))
      .default('https://open.feishu.cn')
      .transform((url) => url.replace(/\/+$/, '')),
    FEISHU_EVENT_MODE: optional(
      z.enum(['webhook', 'websocket'], { message: 'must be "webhook" or "websocket"' }),
    ).default('webhook'),
    ADMIN_TOKEN: optional(z.string().min(16, 'must be at least 16 characters long')),
    BOT_TIMEZONE: optional(timezone).default('Asia/Shanghai'),
    /** A JSON escalation policy (src/domain/escalation-policy.ts); unset = product.md's default ladder. */
    ESCALATION_POLICY_FILE: optional(z.string()),
    DEADLINE_DAY_COUNTING: optional(
      z.enum(['calendar', 'working'], { message: 'must be "calendar" or "working"' }),
    ).default('calendar'),
    /** A JSON file of holiday years (src/domain/holiday-file.ts) added to the chinese-days package's. */
    HOLIDAYS_FILE: optional(z.string()),
    /** `HH:MM-HH:MM` (may cross midnight) or `off`. */
    QUIET_HOURS: optional(
      z
        .string()
        .regex(
          /^(off|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$/,
          'must be HH:MM-HH:MM such as 22:00-07:30, or "off"',
        ),
    )
      .default('22:00-07:30')
      .transform((value) => {
        if (value === 'off') return null;
        const [start, end] = value.split('-') as [string, string];
        return { start, end };
      }),
    LOG_LEVEL: optional(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: 'must be one of fatal, error, warn, info, debug, trace, silent',
      }),
    ).default('info'),
    /** Read API tokens: `name:token` pairs, comma-separated (e.g. `dashboard:…,bi:…`). */
    API_TOKENS: optional(
      z
        .string()
        .regex(
          /^\s*[\w.-]+:[^\s,]{16,}\s*(,\s*[\w.-]+:[^\s,]{16,}\s*)*$/,
          'must be comma-separated name:token pairs, each token at least 16 characters (e.g. dashboard:0123456789abcdef)',
        ),
    ).transform((value) =>
      (value ?? '')
        .split(',')
        .map((pair) => pair.trim())
        .filter(Boolean)
        .map((pair) => {
          const at = pair.indexOf(':');
          return { name: pair.slice(0, at), token: pair.slice(at + 1) };
        }),
    ),
  })
  .superRefine((env, ctx) => {
    if (env.FEISHU_APP_ID && !env.FEISHU_APP_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['FEISHU_APP_SECRET'], message: 'is required when FEISHU_APP_ID is set' });
    }
    if (env.FEISHU_APP_SECRET && !env.FEISHU_APP_ID) {
      ctx.addIssue({ code: 'custom', path: ['FEISHU_APP_ID'], message: 'is required when FEISHU_APP_SECRET is set' });
    }
    if (
      env.FEISHU_APP_ID &&
      env.FEISHU_EVENT_MODE === 'webhook' &&
      !env.FEISHU_ENCRYPT_KEY &&
      !env.FEISHU_VERIFICATION_TOKEN
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['FEISHU_VERIFICATION_TOKEN'],
        message:
          'FEISHU_ENCRYPT_KEY or FEISHU_VERIFICATION_TOKEN is required in webhook mode, or forged events could not be told apart',
      });
    }
  });

export type Config = z.output<typeof envSchema>;

/** Thrown when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describeValue(env: Record<string, string | undefined>, key: string): string {
  if (/SECRET|TOKEN|KEY|DATABASE_URL/.test(key)) return '';
  const value = env[key];
  return value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
}

/** Validates the whole environment at once; a pure function of `env`, so tests can call it freely. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = envSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? 'environment');
    return `${key}: ${issue.message}${describeValue(env, key)}`;
  });
  throw new ConfigError(problems);
}

/** Sandbox mode: no Feishu credentials, so the service talks to a simulator running in the same process. */
export function isSandbox(config: Config): boolean {
  return !config.FEISHU_APP_ID;
}

/** Reads `.env` from the working folder into process.env when the file exists; real environment variables win. */
export function loadDotEnv(file = '.env'): void {
  try {
    process.loadEnvFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
