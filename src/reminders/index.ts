/**
 * Reminders and escalation (督办提醒与升级): the sweep, the daily digest and their scheduler, wired to one
 * deployment's settings. `createReminders` throws PolicyFileError on a broken ESCALATION_POLICY_FILE or
 * HOLIDAYS_FILE, which stops the start with the list of problems.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database, Db } from '../db/client.js';
import type { Calendar } from '../domain/index.js';
import { type CardLinks, overviewUrl } from '../hazards/cards/detail-link.js';
import { coverageTotals } from '../inspections/coverage.js';
import { ensureCurrentDraws } from '../inspections/plans/store.js';
import { sendWeeklyToInspect } from '../inspections/weekly.js';
import { COUNTY_SCOPE, type ResolvedScope, withDescendantRegions } from '../ledger/scope.js';
import { runStatisticsDuty } from '../ledger/statistics-duty.js';
import { enqueueStatutoryReminders } from '../ledger/statutory.js';
import type { Metrics } from '../metrics.js';
import { isSmsEnabled } from '../sms/index.js';
import type { DigestCoverage } from './cards.js';
import { type DigestResult, type DigestScope, sendDailyDigests } from './digest.js';
import { findDirectoryGaps } from './gaps.js';
import { ReminderScheduler, type SchedulerOptions } from './scheduler.js';
import { loadReminderSettings, type ReminderSettings } from './settings.js';
import { rearmIfSettingsChanged, settingsFingerprint } from './settings-state.js';
import { ReminderSweep, type SweepOptions, type SweepResult, type SweptStep } from './sweep/index.js';

export { PolicyFileError } from './settings.js';
export type { DigestResult, SweepResult };

export interface RemindersDeps {
  config: Config;
  database: Database;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Already loaded settings (the server loads them first thing); loaded from `config` otherwise. */
  settings?: ReminderSettings;
  /** Wakes the outbox sender after a sweep queued messages. */
  notifyOutbox?: () => void;
  scheduler?: Partial<
    Pick<SchedulerOptions, 'cron' | 'catchUpOnStart' | 'leaseMs' | 'takeoverIntervalMs' | 'sweepCron'>
  >;
  /** Where the web view is: 查看详情 on the reminder and digest cards; undefined = no web view, no links. */
  links: CardLinks;
  /** Sweep tuning (tests use small batches and fault injection). */
  sweep?: Partial<Pick<SweepOptions, 'batchSize' | 'concurrency' | 'failAfterBatches'>>;
}

export interface Reminders {
  settings: ReminderSettings;
  sweep(options: Omit<SweepOptions, 'at'> & { at?: Date }): Promise<SweepResult>;
  digest(options?: { at?: Date; dryRun?: boolean }): Promise<DigestResult>;
  scheduler: ReminderScheduler;
  /** The statistics duty's daily run (统计分析表 to the principals, the reminders); idempotent. */
  statisticsDuty(options?: { at?: Date; afterBatch?: () => Promise<void> }): Promise<unknown>;
  /** Counts steps sent outside the sweep (at report time) in the metrics, as the sweep counts its own. */
  countSteps(steps: SweptStep[]): void;
}

/**
 * Steps in the metrics: sent by step and channel, fallbacks by role, the undelivered ones also in the log (a county
 * without any leader the bot can reach). Counted per label set, not per step: a catch-up sweep sends hundreds of
 * thousands.
 */
function countSteps({ metrics, logger }: Pick<RemindersDeps, 'metrics' | 'logger'>, steps: SweptStep[]): void {
  const sent = new Map<string, { step: string; channel: string; n: number }>();
  const raised = new Map<string, number>();
  const fallbacks = new Map<string, { role: string; told_role: string; n: number }>();
  const undelivered = new Map<string, number>();
  for (const step of steps) {
    for (const f of step.fallbacks) {
      const labels = { role: f.role, told_role: f.toldRole ?? 'none' };
      const key = `${labels.role}\u0000${labels.told_role}`;
      const count = fallbacks.get(key);
      if (count) count.n += 1;
      else fallbacks.set(key, { ...labels, n: 1 });
    }
    if (!step.delivered) {
      undelivered.set(step.step, (undelivered.get(step.step) ?? 0) + 1);
      continue;
    }
    const key = `${step.step}\u0000${step.channel}`;
    const count = sent.get(key);
    if (count) count.n += 1;
    else sent.set(key, { step: step.step, channel: step.channel, n: 1 });
    for (const effect of step.effects) {
      if (effect.startsWith('raise_supervision:')) {
        const level = effect.slice('raise_supervision:'.length);
        raised.set(level, (raised.get(level) ?? 0) + 1);
      }
    }
  }
  for (const { step, channel, n } of sent.values()) metrics.reminderStepsSent.inc({ step, channel }, n);
  for (const [level, n] of raised) metrics.reminderEscalations.inc({ level }, n);
  for (const { role, told_role, n } of fallbacks.values()) metrics.reminderFallbacks.inc({ role, told_role }, n);
  for (const [step, n] of undelivered) {
    metrics.reminderStepsUndelivered.inc({ step }, n);
    logger.error(
      { step, hazards: n },
      `督办步骤 ${step} 有 ${n} 条隐患无人可通知（上至县领导都不在名录或无法联系），请完善组织名录（steps told to nobody）`,
    );
  }
}

export function createReminders(deps: RemindersDeps): Reminders {
  const settings = deps.settings ?? loadReminderSettings(deps.config);
  const { database, metrics, clock } = deps;
  const sweeper = new ReminderSweep({
    db: database.db,
    kind: database.kind,
    policy: settings.policy,
    calendar: settings.calendar,
    onStepsSent: (steps) => countSteps(deps, steps),
    reach: { sms: isSmsEnabled(deps.config) },
    links: deps.links,
  });

  const reminders: Reminders = {
    settings,
    countSteps: (steps) => countSteps(deps, steps),
    async sweep(options) {
      const stop = metrics.reminderSweepDuration.startTimer({ job: 'sweep' });
      const result = await sweeper.run({ ...deps.sweep, ...options, at: options.at ?? clock.now() });
      stop();
      if (!result.dryRun && result.counts.messages > 0) deps.notifyOutbox?.();
      if (result.counts.steps > 0) {
        deps.logger.info(
          { at: result.at, dryRun: result.dryRun, counts: result.counts, slowestBatchMs: result.slowestBatchMs },
          'reminder sweep',
        );
      }
      return result;
    },
    async digest(options = {}) {
      const stop = metrics.reminderSweepDuration.startTimer({ job: 'digest' });
      const result = await sendDailyDigests(
        database.db,
        settings.policy.digest,
        settings.calendar,
        options.at ?? clock.now(),
        {
          dryRun: options.dryRun,
          overviewUrl: overviewUrl(deps.links),
          // A failure here must not cost every leader their digest: it is logged, and the line left off today.
          directoryGaps: () =>
            findDirectoryGaps(database.db, settings.policy, { sms: isSmsEnabled(deps.config) }).then(
              (gaps) => gaps.total,
              (error: unknown) => {
                deps.logger.error({ err: error }, 'the directory gaps could not be counted for the digest');
                return 0;
              },
            ),
          coverage: (scopes) =>
            digestCoverage(database.db, scopes, settings.calendar, options.at ?? clock.now()).catch(
              (error: unknown) => {
                deps.logger.error({ err: error }, 'inspection coverage could not be read for the digest');
                return null;
              },
            ),
        },
      );
      stop();
      if (!result.dryRun) {
        metrics.reminderDigestsSent.inc(result.digests.length);
        // 统计分析表 reminders ride on the digest slot: once per due table and leader (src/ledger/statutory.ts).
        const statutory = await enqueueStatutoryReminders(database.db, options.at ?? clock.now(), settings.calendar);
        // So does the weekly to-inspect card, on Mondays (src/inspections/weekly.ts).
        const weekly = await sendWeeklyToInspect(database.db, settings.calendar, options.at ?? clock.now()).catch(
          (error: unknown) => {
            deps.logger.error({ err: error }, 'the weekly to-inspect cards failed; the next digest slot retries');
            return null;
          },
        );
        if (weekly) deps.logger.info({ weekly }, 'weekly to-inspect cards');
        if (result.digests.length > 0 || statutory > 0 || (weekly?.sent ?? 0) > 0) deps.notifyOutbox?.();
      }
      deps.logger.info({ day: result.day, digests: result.digests.length }, 'daily digest');
      return result;
    },
    async statisticsDuty(options = {}) {
      const results = await runStatisticsDuty(database.db, {
        calendar: settings.calendar,
        now: options.at ?? clock.now(),
        reach: { sms: isSmsEnabled(deps.config) },
        afterBatch: options.afterBatch,
      });
      if (results.length > 0) {
        deps.logger.info({ results }, 'statistics duty');
        deps.notifyOutbox?.();
      }
      return results;
    },
    scheduler: undefined as unknown as ReminderScheduler,
  };
  reminders.scheduler = new ReminderScheduler({
    db: database.db,
    clock,
    logger: deps.logger,
    calendar: settings.calendar,
    digestAt: settings.policy.digest.at,
    onStart: async () => {
      const { changed, rearmed } = await rearmIfSettingsChanged(
        database.db,
        settingsFingerprint(settings),
        clock.now(),
      );
      if (changed && rearmed > 0) {
        deps.logger.info(
          { rearmed, policy: settings.policySource },
          'reminder settings changed since the schedules were worked out: open hazards are evaluated again',
        );
      }
    },
    ...deps.scheduler,
    run: (job, at, afterBatch) => {
      if (job === 'sweep') return reminders.sweep({ at, afterBatch });
      if (job === 'statistics') return reminders.statisticsDuty({ at, afterBatch });
      return reminders.digest({ at });
    },
  });
  return reminders;
}

/**
 * 检查覆盖 for a leader's scopes (the digest's coverage line): each planned unit once, by its worst status; null when
 * no plan covers the scope. A sampling plan's draw is made here if the period's first use is today's digest.
 */
async function digestCoverage(
  db: Db,
  scopes: DigestScope[],
  calendar: Calendar,
  at: Date,
): Promise<DigestCoverage | null> {
  const day = calendar.localDate(at);
  const scope: ResolvedScope = scopes.some((s) => s.kind === 'county')
    ? COUNTY_SCOPE
    : {
        county: false,
        regionIds: await withDescendantRegions(
          db,
          scopes.filter((s) => s.kind === 'region').map((s) => s.id),
        ),
        departmentIds: scopes.filter((s) => s.kind === 'department').map((s) => s.id),
        enterpriseIds: [],
        personId: null,
      };
  await ensureCurrentDraws(db, day, at);
  const totals = await coverageTotals(db, scope, day);
  return totals.units > 0 ? totals : null;
}
