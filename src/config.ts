import { z } from 'zod';
import { describeQuietWindow, isEmptyQuietWindow, WORKING_HOURS, workingHoursCovered } from './domain/quiet-hours.js';

/** An empty variable means "unset": operators often write `FOO=` in .env files to switch a thing off. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const PORT_RANGE = '应为 0 到 65535 的整数';
const port = z.coerce.number({ message: PORT_RANGE }).int(PORT_RANGE).min(0, PORT_RANGE).max(65535, PORT_RANGE);

const templateCode = z
  .string()
  .trim()
  .regex(/^SMS_\w+$/, '应为阿里云控制台中已审核通过的模板 CODE，如 SMS_123456789');

const BUDGET_RANGE = '应为 1 到 100000 的整数（每天最多发送的短信条数）';
const URGENT_RANGE = '应为 0 到 100000 的整数（每天最多短信/电话加急的人次，0 为不用）';

/** What SMS_PROVIDER=aliyun needs: every one missing is named. */
const ALIYUN_REQUIRED = ['SMS_ACCESS_KEY_ID', 'SMS_ACCESS_KEY_SECRET', 'SMS_SIGN_NAME', 'SMS_TEMPLATE_CODE'] as const;

const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: '应为 IANA 时区名，如 Asia/Shanghai' },
);

const envSchema = z
  .object({
    PORT: optional(port).default(3000),
    /** Unset: 0.0.0.0 with a Feishu app, 127.0.0.1 in sandbox mode (a laptop's simulator is not for the network). */
    HOST: optional(z.string()),
    /** `production`: missing Feishu credentials stop the start instead of falling back to sandbox mode. */
    NODE_ENV: optional(z.string()),
    DATABASE_URL: optional(
      z
        .string()
        .regex(/^postgres(ql)?:\/\/.+/, '应为 postgres:// 或 postgresql:// 开头的地址（用内置数据库时不要设置）'),
    ),
    DATA_DIR: optional(z.string()).default('./data'),
    FEISHU_APP_ID: optional(z.string()),
    FEISHU_APP_SECRET: optional(z.string()),
    FEISHU_ENCRYPT_KEY: optional(z.string()),
    FEISHU_VERIFICATION_TOKEN: optional(z.string()),
    FEISHU_BASE_URL: optional(z.url({ message: '应为 http(s) 地址，如 https://open.feishu.cn' }))
      .default('https://open.feishu.cn')
      .transform((url) => url.replace(/\/+$/, '')),
    FEISHU_EVENT_MODE: optional(
      z.enum(['webhook', 'websocket'], { message: '应为 webhook（事件回调）或 websocket（长连接）' }),
    ).default('webhook'),
    ADMIN_TOKEN: optional(z.string().min(16, '至少 16 个字符')),
    /**
     * How long a message may wait for Feishu (rate limits, an outage) before it is dead-lettered, in hours: a 429 is
     * "later", not a failure, so it spends no attempt, but nothing waits for ever.
     */
    OUTBOX_MAX_WAIT_HOURS: optional(
      z.coerce
        .number({ message: '应为小时数，如 24' })
        .positive('应大于 0')
        .max(24 * 14, '最多 336 小时（14 天）'),
    ).default(24),
    BOT_TIMEZONE: optional(timezone).default('Asia/Shanghai'),
    /** The county's name on its files (统计分析表, 台账, the hazard documents' PDFs): unset = the directory's root region when there is one. */
    COUNTY_NAME: optional(z.string().trim().min(1).max(40, '最多 40 个字符')),
    /** A JSON escalation policy (src/domain/escalation-policy.ts); unset = product.md's default ladder. */
    ESCALATION_POLICY_FILE: optional(z.string()),
    DEADLINE_DAY_COUNTING: optional(
      z.enum(['calendar', 'working'], { message: '应为 calendar（自然日）或 working（工作日）' }),
    ).default('calendar'),
    /** A JSON file of holiday years (src/domain/holiday-file.ts) added to the chinese-days package's. */
    HOLIDAYS_FILE: optional(z.string()),
    /** `HH:MM-HH:MM` (may cross midnight) or `off`. */
    QUIET_HOURS: optional(
      z
        .string()
        .regex(
          /^(off|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$/,
          '应为 HH:MM-HH:MM（如 22:00-07:30），或 off（不设免打扰时段）',
        ),
    )
      .default('22:00-07:30')
      .transform((value) => {
        if (value === 'off') return null;
        const [start, end] = value.split('-') as [string, string];
        return { start, end };
      }),
    /** `yes` lets QUIET_HOURS cover part of the working day (09:00–17:00); without it such a window stops the start. */
    QUIET_HOURS_COVER_WORKDAY: optional(
      z.enum(['yes', 'no'], { message: '应为 yes（确认免打扰时段可以覆盖工作时间）或 no' }),
    )
      .default('no')
      .transform((value) => value === 'yes'),
    /** 专班群: a major hazard gets a group chat made by the bot (src/hazards/task-group/); `off` turns it off. */
    TASK_GROUPS: optional(z.enum(['on', 'off'], { message: '应为 on（重大隐患建专班群）或 off' }))
      .default('on')
      .transform((value) => value === 'on'),
    /** A unit with a group chat in the directory hears of its hazards' registration and closing there. */
    NOTIFY_UNIT_CHAT: optional(z.enum(['on', 'off'], { message: '应为 on（在单位群通报隐患登记与销号）或 off' }))
      .default('on')
      .transform((value) => value === 'on'),
    /** The service's public base URL (web login's redirect, 查看详情 links on cards); unset = no web view, no links. */
    PUBLIC_URL: optional(
      z
        .url({ message: '应为 http(s) 地址，如 https://yh.example.gov.cn（网页看板与卡片链接用）' })
        .refine((url) => /^https?:\/\//.test(url), '应以 http:// 或 https:// 开头')
        .refine((url) => !/[?#]/.test(url), '只写地址，不带 ? 或 # 之后的部分'),
    ).transform((url) => url?.replace(/\/+$/, '')),
    /** Signs (and encrypts) the web session cookie; required with PUBLIC_URL. */
    SESSION_SECRET: optional(z.string().min(32, '至少 32 个字符（可用 openssl rand -base64 48 生成）')),
    /**
     * Which proxies' X-Forwarded-For to believe for the client's address (rate limits of the public tip page):
     * unset/`off` = none (the socket's peer is the client); `on` = any (only behind a proxy that overwrites it);
     * a number = that many hops; or addresses/CIDRs, comma-separated (e.g. `10.0.0.0/8,127.0.0.1`).
     */
    TRUST_PROXY: optional(
      z
        .string()
        .trim()
        .regex(/^(off|on|\d{1,2}|[0-9a-fA-F:./]+(,[0-9a-fA-F:./]+)*)$/, {
          message: '应为 off、on、跳数（如 1）或以逗号分隔的代理地址/网段（如 10.0.0.0/8,127.0.0.1）',
        }),
    ).transform((value): boolean | number | string[] => {
      if (!value || value === 'off') return false;
      if (value === 'on') return true;
      if (/^\d+$/.test(value)) return Number(value);
      return value.split(',');
    }),
    /** 群众举报: tips per client address per hour, and per phone per day (past them: 429, nothing stored). */
    TIP_MAX_PER_ADDRESS_HOUR: optional(z.coerce.number().int().min(1, '至少 1').max(100000)).default(10),
    TIP_MAX_PER_PHONE_DAY: optional(z.coerce.number().int().min(1, '至少 1').max(100000)).default(5),
    /** After this many tips from one address in an hour, the next asks a proof-of-work challenge (0 = always). */
    TIP_CHALLENGE_AFTER: optional(z.coerce.number().int().min(0).max(100000)).default(2),
    /** The challenge's work: leading zero bits of SHA-256 (16 ≈ 65,000 hashes, about a second on a phone). */
    TIP_CHALLENGE_BITS: optional(z.coerce.number().int().min(1).max(28, '最多 28')).default(16),
    /** Signs the challenges (the same on every replica); unset = SESSION_SECRET, else one per process. */
    TIP_SECRET: optional(z.string().min(32, '至少 32 个字符（可用 openssl rand -base64 48 生成）')),
    /** Where Feishu's OAuth authorize page is (Lark: https://accounts.larksuite.com). */
    FEISHU_ACCOUNTS_URL: optional(z.url({ message: '应为 http(s) 地址，如 https://accounts.feishu.cn' }))
      .default('https://accounts.feishu.cn')
      .transform((url) => url.replace(/\/+$/, '')),
    LOG_LEVEL: optional(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: '应为 fatal、error、warn、info、debug、trace、silent 之一',
      }),
    ).default('info'),
    /** Read API tokens: `name:token` pairs, comma-separated (e.g. `dashboard:…,bi:…`). */
    API_TOKENS: optional(
      z
        .string()
        .regex(
          /^\s*[\w.-]+:[^\s,]{16,}\s*(,\s*[\w.-]+:[^\s,]{16,}\s*)*$/,
          '应为逗号分隔的“名称:令牌”，每个令牌至少 16 个字符（如 dashboard:0123456789abcdef）',
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
    /**
     * Read tokens bound to a scope: `name=region:<code>` (or department:/enterprise:) pairs, comma-separated. Such a
     * token sees only its scope, whatever `?scope=` asks; the others see the county.
     */
    API_TOKEN_SCOPES: optional(
      z
        .string()
        .regex(
          /^\s*[\w.-]+=(region|department|enterprise):[^\s,]+\s*(,\s*[\w.-]+=(region|department|enterprise):[^\s,]+\s*)*$/,
          '应为逗号分隔的“令牌名称=范围”，范围为 region:<乡镇编码>、department:<部门编码> 或 enterprise:<企业编码>（如 town01=region:town-01）',
        ),
    ).transform((value) =>
      Object.fromEntries(
        (value ?? '')
          .split(',')
          .map((pair) => pair.trim())
          .filter(Boolean)
          .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
      ),
    ),
    /** The SMS gateway for people outside Feishu (src/sms/); unset = no SMS. */
    SMS_PROVIDER: optional(
      z.enum(['aliyun', 'off'], {
        message: '应为 aliyun（阿里云短信服务）或 off；不发短信时留空（腾讯云短信尚未接入，见 docs/deploy.md）',
      }),
    ).transform((value) => (value === 'off' ? undefined : value)),
    SMS_ACCESS_KEY_ID: optional(z.string()),
    SMS_ACCESS_KEY_SECRET: optional(z.string()),
    /** The approved signature's text, without 【】 (the gateway adds them). */
    SMS_SIGN_NAME: optional(
      z
        .string()
        .trim()
        .min(2, '应为已审核通过的短信签名（2 个字符以上）')
        .max(40, '短信签名过长（阿里云签名不超过 40 个字符）')
        .refine((name) => !/[【】[\]]/.test(name), '只填签名文字，不要带【】（发送时由短信平台加上）'),
    ),
    SMS_TEMPLATE_CODE: optional(templateCode),
    /** Optional: the same notice with the hazard's link (docs/deploy.md); without it, SMS carry no link. */
    SMS_LINK_TEMPLATE_CODE: optional(templateCode),
    SMS_DAILY_BUDGET: optional(
      z.coerce.number({ message: BUDGET_RANGE }).int(BUDGET_RANGE).min(1, BUDGET_RANGE).max(100_000, BUDGET_RANGE),
    ).default(200),
    /**
     * Feishu's SMS and phone 加急 (policy channels urgent_sms / urgent_phone) a local day, across replicas: people
     * buzzed. Past it the step gets in-app 加急 only (logged, counted). 0 = never.
     */
    URGENT_SMS_DAILY_BUDGET: optional(
      z.coerce.number({ message: URGENT_RANGE }).int(URGENT_RANGE).min(0, URGENT_RANGE).max(100_000, URGENT_RANGE),
    ).default(100),
    URGENT_PHONE_DAILY_BUDGET: optional(
      z.coerce.number({ message: URGENT_RANGE }).int(URGENT_RANGE).min(0, URGENT_RANGE).max(100_000, URGENT_RANGE),
    ).default(20),
    /** Where the SMS API is: a host (default dysmsapi.aliyuncs.com) or an http(s) URL (a local fake in tests). */
    SMS_ENDPOINT: optional(
      z
        .string()
        .trim()
        .regex(
          /^(https?:\/\/)?[A-Za-z0-9.-]+(:\d{1,5})?\/?$/,
          '应为主机名（如 dysmsapi.aliyuncs.com）或 http(s):// 地址，不带路径',
        ),
    ),
  })
  .superRefine((env, ctx) => {
    // zod runs this even when a field failed, with that field's raw input: only a parsed window is looked at.
    const quiet = typeof env.QUIET_HOURS === 'object' ? env.QUIET_HOURS : null;
    if (quiet && isEmptyQuietWindow(quiet)) {
      ctx.addIssue({
        code: 'custom',
        path: ['QUIET_HOURS'],
        message:
          `开始与结束都是 ${quiet.start}，免打扰时段为空；要关闭免打扰请写 QUIET_HOURS=off，` +
          '要设置时段请写开始和结束，如 22:00-07:30',
      });
    } else if (quiet && !env.QUIET_HOURS_COVER_WORKDAY) {
      const covered = workingHoursCovered(quiet);
      if (covered.length > 0) {
        const swapped = { start: quiet.end, end: quiet.start };
        const hint =
          workingHoursCovered(swapped).length === 0
            ? `若是把起止写反了，应为 QUIET_HOURS=${swapped.start}-${swapped.end}（${describeQuietWindow(swapped)}）；`
            : '';
        const workday = `${WORKING_HOURS.start}–${WORKING_HOURS.end}`;
        const what = covered.join('、') === workday ? `整个工作时间 ${workday}` : `工作时间中的 ${covered.join('、')}`;
        ctx.addIssue({
          code: 'custom',
          path: ['QUIET_HOURS'],
          message:
            `免打扰时段（${describeQuietWindow(quiet)}）覆盖了${what}：这期间只发重大隐患消息，` +
            `一般隐患的提醒要等到免打扰结束（${quiet.end}）才发出。${hint}确需如此，请同时设置 QUIET_HOURS_COVER_WORKDAY=yes`,
        });
      }
    }
    if (env.FEISHU_APP_ID && !env.FEISHU_APP_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['FEISHU_APP_SECRET'], message: '必须填写（已设置 FEISHU_APP_ID）' });
    }
    if (env.FEISHU_APP_SECRET && !env.FEISHU_APP_ID) {
      ctx.addIssue({ code: 'custom', path: ['FEISHU_APP_ID'], message: '必须填写（已设置 FEISHU_APP_SECRET）' });
    }
    for (const name of Object.keys(typeof env.API_TOKEN_SCOPES === 'object' ? env.API_TOKEN_SCOPES : {})) {
      const tokens = Array.isArray(env.API_TOKENS) ? env.API_TOKENS : [];
      if (!tokens.some((t) => t.name === name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['API_TOKEN_SCOPES'],
          message: `令牌名称“${name}”不在 API_TOKENS 中`,
        });
      }
    }
    if (env.PUBLIC_URL && !env.SESSION_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['SESSION_SECRET'],
        message:
          '必须填写（已设置 PUBLIC_URL，网页登录的会话要用它签名）：至少 32 个字符，如 openssl rand -base64 48 的输出',
      });
    }
    if (env.SMS_PROVIDER === 'aliyun') {
      for (const key of ALIYUN_REQUIRED) {
        if (!env[key]) {
          ctx.addIssue({ code: 'custom', path: [key], message: '必须填写（已开启短信 SMS_PROVIDER=aliyun）' });
        }
      }
    }
    if (env.NODE_ENV === 'production' && !env.FEISHU_APP_ID) {
      ctx.addIssue({
        code: 'custom',
        path: ['FEISHU_APP_ID'],
        message:
          '生产环境（NODE_ENV=production）必须设置 FEISHU_APP_ID 和 FEISHU_APP_SECRET；沙箱模式（本地模拟器）只用于试用，请勿设 NODE_ENV=production',
      });
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
        message: 'webhook 模式下必须设置 FEISHU_ENCRYPT_KEY 或 FEISHU_VERIFICATION_TOKEN，否则无法识别伪造的事件',
      });
    }
  });

export type Config = z.output<typeof envSchema>;

/** Thrown when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`配置有误（invalid configuration）：\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describeValue(env: Record<string, string | undefined>, key: string): string {
  if (/SECRET|TOKEN|KEY|DATABASE_URL/.test(key)) return '';
  const value = env[key];
  return value === undefined ? '' : `（当前值 ${JSON.stringify(value)}）`;
}

/** Validates the whole environment at once; a pure function of `env`, so tests can call it freely. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = envSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? 'environment');
    return `${key}：${issue.message}${describeValue(env, key)}`;
  });
  throw new ConfigError(problems);
}

/**
 * For the command-line entry points (server, CLIs): `.env` and the environment, validated; on a problem prints every
 * one of them to stderr (no stack trace: the operator needs the list, not our call stack) and answers undefined.
 */
export function loadConfigForCli(): Config | undefined {
  loadDotEnv();
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return undefined;
  }
}

/** Sandbox mode: no Feishu credentials, so the service talks to a simulator running in the same process. */
/** Where to listen: HOST, or by default every interface with a Feishu app and only this machine in sandbox mode. */
export function listenHost(config: Pick<Config, 'HOST' | 'FEISHU_APP_ID'>): string {
  return config.HOST ?? (isSandbox(config) ? '127.0.0.1' : '0.0.0.0');
}

export function isSandbox(config: Pick<Config, 'FEISHU_APP_ID'>): boolean {
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
