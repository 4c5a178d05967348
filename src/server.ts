import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type AppDeps, buildApp, type FeishuApp } from './app.js';
import { registerChatHandlers } from './chat/index.js';
import { type Clock, systemClock } from './clock.js';
import { type Config, isSandbox, listenHost, loadConfigForCli } from './config.js';
import { type Database, openDatabase } from './db/client.js';
import { applyMigrations } from './db/migrate.js';
import type { SampleCountyDeps } from './dev/sample-county.js';
import type { UploadLimitOptions } from './directory/check-upload.js';
import { unbindTownshipChat } from './directory/township-chat.js';
import { createFeishuClient } from './feishu/client.js';
import { FeishuDispatcher } from './feishu/dispatcher.js';
import { BOT_NOT_IN_CHAT } from './feishu/errors.js';
import { OutboxSender } from './feishu/outbox-sender.js';
import { createWebsocketReceiver } from './feishu/receivers/websocket.js';
import { createWebLogin } from './feishu/web-login.js';
import { cardLinksOf } from './hazards/cards/detail-link.js';
import { loadAttachment, warmDocumentFonts } from './hazards/documents/index.js';
import { TaskGroupWorker } from './hazards/task-group/worker.js';
import type { Lifecycle } from './http/health.js';
import { ensureDefaultChecklists } from './inspections/checklists/store.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createReminders, type RemindersDeps } from './reminders/index.js';
import { holidayCoverageWarning, loadReminderSettings, quietHoursNotice } from './reminders/settings.js';
import { SmsDelivery } from './sms/delivery.js';
import type { SmsGateway } from './sms/gateway.js';
import { createSmsGateway, isSmsEnabled } from './sms/index.js';
import { BACKGROUND_NICE, lowerBackgroundThreads } from './thread-priority.js';

/** Background work (outbox sender, scheduler…) that must stop before the database closes. */
export interface Worker {
  name: string;
  start(): void;
  stop(): Promise<void>;
}

export interface Service {
  app: FastifyInstance;
  deps: AppDeps;
  url: string;
  /** Stop accepting, let in-flight requests and workers finish, close the database. Idempotent. */
  shutdown(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  /** An already opened database (tests); by default it is opened from the configuration. */
  database?: Database;
  /** Feishu request timeout (tests shorten it to exercise "accepted but no answer"). */
  feishuTimeoutMs?: number;
  /** Tests add routes here before the server listens. */
  configure?: (app: FastifyInstance) => void | Promise<void>;
  /** Reminder scheduler and sweep tuning (tests turn the cron off and drive slots by hand). */
  reminders?: Pick<RemindersDeps, 'scheduler' | 'sweep'>;
  /**
   * SMS: a gateway instead of the configured one (tests give a fake: nothing leaves the machine), and how long to wait
   * before asking the receipts after an unanswered attempt.
   */
  sms?: { gateway?: SmsGateway; confirmDelayMs?: number };
  /** Limits of uploaded files and of the worker that parses them (tests lower them to stay fast). */
  uploads?: UploadLimitOptions;
}

export async function startService(config: Config, options: StartOptions = {}): Promise<Service> {
  const startedAt = performance.now();
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const lifecycle: Lifecycle = { ready: false, shuttingDown: false };
  // First, before anything is opened: a broken ESCALATION_POLICY_FILE or HOLIDAYS_FILE stops the start, listing
  // every problem.
  const reminderSettings = loadReminderSettings(config);
  const quietHours = quietHoursNotice(reminderSettings.calendar);
  logger[quietHours.level]({ quietHours: reminderSettings.calendar.settings.quietHours }, quietHours.message);
  if (reminderSettings.holidayYearsFromFile.length > 0) {
    logger.info(
      { file: config.HOLIDAYS_FILE, years: reminderSettings.holidayYearsFromFile },
      'holiday arrangement: years from HOLIDAYS_FILE in use',
    );
  }
  const sandbox = isSandbox(config) ? await startSandbox(config, logger) : undefined;
  const feishuApp: FeishuApp = sandbox?.app ?? {
    appId: config.FEISHU_APP_ID!,
    appSecret: config.FEISHU_APP_SECRET!,
    baseUrl: config.FEISHU_BASE_URL,
    encryptKey: config.FEISHU_ENCRYPT_KEY,
    verificationToken: config.FEISHU_VERIFICATION_TOKEN,
    sandbox: false,
  };
  let database: Database;
  try {
    database =
      options.database ?? (await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, logger }));
  } catch (error) {
    await sandbox?.close();
    throw error;
  }
  const metrics = createMetrics();
  const clock = options.clock ?? systemClock;
  const holidayWarning = holidayCoverageWarning(reminderSettings.calendar, clock.now());
  if (holidayWarning) logger.warn(holidayWarning);
  const feishu = createFeishuClient({
    appId: feishuApp.appId,
    appSecret: feishuApp.appSecret,
    baseUrl: feishuApp.baseUrl,
    logger,
    timeoutMs: options.feishuTimeoutMs,
  });
  const smsGateway = options.sms?.gateway ?? createSmsGateway(config, { sandbox: feishuApp.sandbox, logger });
  if (smsGateway) {
    logger.info(
      { gateway: smsGateway.name, dailyBudget: config.SMS_DAILY_BUDGET, endpoint: config.SMS_ENDPOINT },
      smsGateway.name === 'aliyun'
        ? '短信已开启：阿里云短信服务（SMS on: Alibaba Cloud）'
        : '短信已开启，但只写进日志、不会发出（SMS on: nothing leaves this machine）',
    );
  }
  const outboxSender: OutboxSender = new OutboxSender({
    database,
    client: feishu,
    logger,
    metrics,
    maxWaitMs: config.OUTBOX_MAX_WAIT_HOURS * 3_600_000,
    urgentBudgets: {
      sms: config.URGENT_SMS_DAILY_BUDGET,
      phone: config.URGENT_PHONE_DAILY_BUDGET,
      timeZone: config.BOT_TIMEZONE,
    },
    now: () => clock.now(),
    // A hazard's PDFs go out as file messages: uploaded from hazard_documents when sent.
    attachments: (attachment) => loadAttachment(database.db, attachment),
    sms: new SmsDelivery({
      db: database.db,
      gateway: smsGateway,
      clock,
      timeZone: config.BOT_TIMEZONE,
      dailyBudget: config.SMS_DAILY_BUDGET,
      metrics,
      logger,
      confirmDelayMs: options.sms?.confirmDelayMs,
    }),
    // A township group the bot is not in (a 群聊ID imported before the bot was added) would fail every escalation:
    // unbind it at the first refusal and tell that township's leaders how to bind it properly.
    onGivenUp: async ({ receiveIdType, target, code }) => {
      if (receiveIdType !== 'chat_id' || code !== BOT_NOT_IN_CHAT) return;
      const regions = await unbindTownshipChat(database.db, { chatId: target, why: 'bot_not_member' });
      if (regions.length === 0) return;
      logger.warn({ chatId: target, regions }, 'the bot is not in a township group; unbound');
      outboxSender.kick();
    },
  });
  const dispatcher = new FeishuDispatcher({
    db: database.db,
    logger,
    metrics,
    clock,
    onHandled: () => outboxSender.kick(),
  });
  const web = webSettings(config, feishuApp, logger);
  // 查看详情 on every card opens the web view at this address; none without a web view.
  const links = cardLinksOf(web);
  registerChatHandlers(dispatcher, {
    db: database.db,
    logger,
    notifyOutbox: () => outboxSender.kick(),
    clock,
    // One calendar for deadlines everywhere: the form's default and maximum deadline count days as the sweep does.
    calendar: reminderSettings.calendar,
    links,
    policy: reminderSettings.policy,
    feishu,
    // Created below: counted once reminders exist (nothing is reported before the service is ready).
    onStepsSent: (steps) => reminders.countSteps(steps),
    reach: { sms: isSmsEnabled(config) },
    documents: { countyName: config.COUNTY_NAME },
    countyName: config.COUNTY_NAME,
    announce: { taskGroups: config.TASK_GROUPS, unitChat: config.NOTIFY_UNIT_CHAT },
  });
  // 专班群: made, filled, pinned, kept up and renamed after the reports' transactions (src/hazards/task-group/).
  const taskGroupWorker = new TaskGroupWorker({
    db: database.db,
    feishu,
    clock,
    calendar: reminderSettings.calendar,
    links,
    policy: reminderSettings.policy,
    logger,
    notifyOutbox: () => outboxSender.kick(),
  });
  const reminders = createReminders({
    config,
    database,
    clock,
    logger,
    metrics,
    settings: reminderSettings,
    links,
    notifyOutbox: () => outboxSender.kick(),
    ...options.reminders,
    // The cron and the start-up catch-up follow the wall clock; a service on a test clock sweeps when the test says
    // (or on takeover) — a catch-up digest racing a test's directory import would reach its leaders unasked.
    scheduler: {
      cron: clock === systemClock,
      catchUpOnStart: clock === systemClock,
      ...options.reminders?.scheduler,
    },
  });
  const deps: AppDeps = {
    config,
    database,
    logger,
    metrics,
    clock,
    lifecycle,
    feishu,
    dispatcher,
    feishuApp,
    outboxSender,
    reminders,
    uploads: options.uploads,
    web,
  };

  const workers: Worker[] = [
    { name: 'event-dispatcher', start: () => dispatcher.start(), stop: () => dispatcher.stop() },
    outboxSender,
    reminders.scheduler,
    taskGroupWorker,
  ];
  if (config.FEISHU_EVENT_MODE === 'websocket') {
    workers.push(createWebsocketReceiver({ ...feishuApp, dispatcher, logger }));
  }

  let app: FastifyInstance;
  try {
    app = await buildApp(deps);
    await options.configure?.(app);
    // Listen before migrating, so /healthz answers and /readyz says "starting" while migrations run.
    await app.listen({ port: config.PORT, host: listenHost(config) });
    await applyMigrations(database);
    // The shipped checklists (default-set.ts) when there are none yet: inspections work before a county imports its own.
    const defaults = await ensureDefaultChecklists(database.db, clock.now());
    if (defaults !== 'unchanged') logger.info({ defaults }, `default checklists ${defaults}`);
    await sandbox?.loadSampleCounty({
      db: database.db,
      isBotInChat: (chatId) => feishu.isBotInChat(chatId),
      now: clock.now(),
    });
  } catch (error) {
    await database.close().catch(() => {});
    await sandbox?.close();
    throw error;
  }
  for (const worker of workers) worker.start();
  // The hazard documents' fonts, parsed before the first report needs them (not while its click waits).
  warmDocumentFonts();
  lifecycle.ready = true;

  if (!sandbox && config.FEISHU_EVENT_MODE === 'webhook' && !feishuApp.encryptKey) {
    logger.warn(
      '未设置 FEISHU_ENCRYPT_KEY：事件请求没有签名，只凭 Verification Token 识别，超过 24 小时的事件按重放拒收。' +
        '请在开发者后台设置 Encrypt Key 并配置给服务（docs/deploy.md）（no FEISHU_ENCRYPT_KEY: events are not signed）',
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://127.0.0.1:${port}`;
  sandbox?.connect(`${url}/feishu/events`);
  logger.info(
    {
      port,
      database: database.kind,
      dataDir: database.kind === 'pglite' ? config.DATA_DIR : undefined,
      eventMode: config.FEISHU_EVENT_MODE,
    },
    `ready in ${Math.round(performance.now() - startedAt)} ms`,
  );

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      lifecycle.shuttingDown = true;
      // app.close() stops accepting connections and resolves once in-flight requests have been answered.
      await app.close();
      await Promise.all(workers.map((w) => w.stop()));
      await database.close();
      await sandbox?.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { app, deps, url, shutdown };
}

/**
 * The web view's settings: with PUBLIC_URL (and its SESSION_SECRET, which config requires); in sandbox mode also
 * without, at http://127.0.0.1:PORT with a session secret of the process's own and the simulator's login page.
 */
function webSettings(config: Config, feishuApp: FeishuApp, logger: Logger): AppDeps['web'] {
  const sandboxUrl = feishuApp.sandbox && config.PORT > 0 ? `http://127.0.0.1:${config.PORT}` : undefined;
  const publicUrl = config.PUBLIC_URL ?? sandboxUrl;
  if (!publicUrl) return undefined;
  const login = createWebLogin({
    appId: feishuApp.appId,
    appSecret: feishuApp.appSecret,
    baseUrl: feishuApp.baseUrl,
    accountsUrl: feishuApp.sandbox ? feishuApp.baseUrl : config.FEISHU_ACCOUNTS_URL,
  });
  if (feishuApp.sandbox) logger.info(`网页看板（沙箱）：${publicUrl}/web/ ，登录页由本地模拟器扮演飞书`);
  return { publicUrl, sessionSecret: config.SESSION_SECRET ?? randomBytes(48).toString('base64'), login };
}

/**
 * Sandbox mode (no FEISHU_APP_ID): a Feishu simulator runs in this process and the bot talks to it, so the whole
 * service can be tried on a laptop with no Feishu tenant.
 */
async function startSandbox(config: Config, logger: Logger) {
  const { startFeishuSim } = await import('./dev/feishu-sim/index.js');
  const sample = await import('./dev/sample-county.js');
  // Next to the service's port, so the address is predictable for curl; any free port if that one is taken.
  const preferred = config.PORT > 0 && config.PORT < 65535 ? config.PORT + 1 : 0;
  // A token of its own for each start: a constant in the source would let anyone who reads it post events.
  const options = { eventMode: config.FEISHU_EVENT_MODE, host: '127.0.0.1', verificationToken: randomUUID() };
  const sim = await startFeishuSim({ ...options, port: preferred }).catch(() =>
    startFeishuSim({ ...options, port: 0 }),
  );
  const app: FeishuApp = {
    appId: sim.appId,
    appSecret: sim.appSecret,
    baseUrl: sim.url,
    encryptKey: sim.encryptKey,
    verificationToken: sim.verificationToken,
    sandbox: true,
  };
  return {
    app,
    sim,
    /** The sample county's people as simulator users, and its directory when the database has none yet. */
    loadSampleCounty: (deps: Omit<SampleCountyDeps, 'sim' | 'logger'>) =>
      sample.loadSampleCounty({ ...deps, sim, logger }),
    connect(botUrl: string) {
      sim.setBotUrl(botUrl);
      logger.warn(
        { simulator: sim.url },
        `沙箱模式（SANDBOX MODE）：未设置 FEISHU_APP_ID，本地飞书模拟器运行在 ${sim.url}，消息不会发到真实飞书。` +
          `用模拟器的控制接口扮演用户，例如 curl -XPOST ${sim.url}/__sim/text -d '{"from":"ou_wang","text":"帮助"}'；` +
          `GET ${sim.url}/__sim 列出全部接口。设置 FEISHU_APP_ID/FEISHU_APP_SECRET 即连接真实应用（见 README「沙箱模式」）。`,
      );
    },
    close: () => sim.close(),
  };
}

async function main(): Promise<void> {
  const config = loadConfigForCli();
  if (!config) process.exit(2);
  const logger = createLogger(config.LOG_LEVEL);
  const lowered = lowerBackgroundThreads();
  if (lowered > 0)
    logger.debug({ threads: lowered, nice: BACKGROUND_NICE }, 'background threads lowered below the event loop');
  let service: Service;
  try {
    service = await startService(config, { logger });
  } catch (error) {
    logger.fatal({ err: error }, `could not start: ${(error as Error).message}`);
    process.exit(1);
  }
  // SIGTERM/SIGINT: finish in-flight work and exit 0; Kubernetes and Docker wait 10 s by default before SIGKILL.
  closeWithGrace({ delay: 9000, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.info({ signal }, 'shutting down');
    await service.shutdown();
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
}
