/**
 * When the sweep, the digest and the statistics duty run: node-cron in BOT_TIMEZONE, each cron slot claimed in PostgreSQL.
 *
 * A slot (job + instant) is a `scheduler_slots` row: the replica that inserts it runs the job under a lease it
 * renews after every batch. A replica that dies leaves the slot unfinished; once the lease runs out, any replica's
 * takeover check (every few seconds) claims it and runs the job again — the sweep's batches and the digest's
 * per-leader rows are idempotent, so nothing is sent twice. On start a catch-up sweep handles everything due while
 * the service was down, and the day's digest goes out if its time has passed and no replica sent it.
 *
 * Time comes from the service clock, so tests move it.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import type { Calendar } from '../domain/index.js';
import { DUTY_SEND_AT } from '../domain/statutory-period.js';

/** `statistics`: the statistics duty's daily run at 09:00 local (src/ledger/statistics-duty.ts). */
export type JobName = 'sweep' | 'digest' | 'statistics';

export interface SchedulerOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  calendar: Calendar;
  /** Local HH:MM of the daily digest (from the policy). */
  digestAt: string;
  /** Runs the job at `at`; `afterBatch` renews the lease. */
  run: (job: JobName, at: Date, afterBatch: () => Promise<void>) => Promise<unknown>;
  /** node-cron expression of the sweep (BOT_TIMEZONE). */
  sweepCron?: string;
  /** false: no cron tasks (tests drive slots by hand); the takeover check and the catch-up still run. */
  cron?: boolean;
  catchUpOnStart?: boolean;
  /** Runs once at start, before the catch-up (the schedules are re-armed here when the settings changed). */
  onStart?: () => Promise<void>;
  leaseMs?: number;
  takeoverIntervalMs?: number;
}

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_TAKEOVER_MS = 10_000;

export class ReminderScheduler {
  readonly name = 'reminder-scheduler';
  /** This replica, as written in the slots it owns. */
  readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private tasks: ScheduledTask[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<unknown>>();
  private stopped = true;

  constructor(private readonly options: SchedulerOptions) {}

  private get leaseMs() {
    return this.options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const { calendar, digestAt } = this.options;
    if (this.options.cron !== false) {
      const [hour, minute] = digestAt.split(':').map(Number);
      const options = { timezone: calendar.timeZone, noOverlap: true };
      this.tasks = [
        cron.schedule(this.options.sweepCron ?? '*/5 * * * *', () => this.track(this.runSlot('sweep', this.minute())), {
          ...options,
          name: 'reminder-sweep',
        }),
        cron.schedule(`${minute} ${hour} * * *`, () => this.track(this.runSlot('digest', this.digestSlot())), {
          ...options,
          name: 'reminder-digest',
        }),
        cron.schedule(
          `${Number(DUTY_SEND_AT.slice(3))} ${Number(DUTY_SEND_AT.slice(0, 2))} * * *`,
          () => this.track(this.runSlot('statistics', this.statisticsSlot())),
          { ...options, name: 'statistics-duty' },
        ),
      ];
    }
    this.timer = setInterval(
      () => this.track(this.resumeExpired()),
      this.options.takeoverIntervalMs ?? DEFAULT_TAKEOVER_MS,
    );
    this.timer.unref();
    this.track(
      (async () => {
        try {
          await this.options.onStart?.();
        } catch (error) {
          this.options.logger.error({ err: error }, 'reminder start-up step failed; catching up anyway');
        }
        if (this.options.catchUpOnStart !== false) await this.catchUp();
      })(),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const task of this.tasks) await task.destroy();
    this.tasks = [];
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.running]);
  }

  /** The start-up catch-up: a sweep now, and today's digest if its time has passed. */
  async catchUp(): Promise<void> {
    await this.runSlot('sweep', this.minute());
    const slot = this.digestSlot();
    if (this.options.clock.now().getTime() >= slot.getTime()) await this.runSlot('digest', slot);
    const statistics = this.statisticsSlot();
    if (this.options.clock.now().getTime() >= statistics.getTime()) await this.runSlot('statistics', statistics);
  }

  /**
   * Claims the slot and runs the job; false when another replica has it (or had it: a finished slot is never run
   * again). A job that throws leaves the slot to the takeover once the lease runs out.
   */
  async runSlot(job: JobName, slot: Date): Promise<boolean> {
    const now = this.options.clock.now();
    const claimed = rowsOf(
      await this.options.db.execute(sql`
        insert into scheduler_slots (job, slot, owner, lease_until, claimed_at)
        values (${job}, ${slot.toISOString()}::timestamptz, ${this.owner},
          ${new Date(now.getTime() + this.leaseMs).toISOString()}::timestamptz, ${now.toISOString()}::timestamptz)
        on conflict do nothing returning job`),
    );
    if (claimed.length === 0) return false;
    await this.execute(job, slot);
    return true;
  }

  /** Takes over slots whose owner stopped renewing the lease before finishing; answers how many it ran. */
  async resumeExpired(): Promise<number> {
    if (this.stopped) return 0;
    const now = this.options.clock.now();
    const expired = rowsOf<{ job: JobName; slot: string }>(
      await this.options.db.execute(sql`
        update scheduler_slots s set owner = ${this.owner}, attempts = s.attempts + 1,
          lease_until = ${new Date(now.getTime() + this.leaseMs).toISOString()}::timestamptz
        where (s.job, s.slot) in (
          select job, slot from scheduler_slots
          where finished_at is null and lease_until < ${now.toISOString()}::timestamptz
          order by slot limit 5 for update skip locked)
        returning s.job, to_char(s.slot at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as slot`),
    );
    for (const row of expired) {
      this.options.logger.warn({ job: row.job, slot: row.slot }, 'taking over a reminder slot left unfinished');
      await this.execute(row.job, new Date(row.slot));
    }
    return expired.length;
  }

  private async execute(job: JobName, slot: Date): Promise<void> {
    const { db, clock, calendar } = this.options;
    const renew = async () => {
      const until = new Date(clock.now().getTime() + this.leaseMs).toISOString();
      await db.execute(sql`
        update scheduler_slots set lease_until = ${until}::timestamptz
        where job = ${job} and slot = ${slot.toISOString()}::timestamptz and owner = ${this.owner}`);
    };
    const now = clock.now();
    // A digest slot of an earlier day is not sent late: tomorrow's digest says everything it would have said.
    const stale = job === 'digest' && calendar.localDate(slot) !== calendar.localDate(now);
    if (!stale) await this.options.run(job, now, renew);
    await db.execute(sql`
      update scheduler_slots set finished_at = ${clock.now().toISOString()}::timestamptz
      where job = ${job} and slot = ${slot.toISOString()}::timestamptz`);
  }

  private minute(): Date {
    const now = this.options.clock.now().getTime();
    return new Date(now - (now % 60_000));
  }

  private digestSlot(): Date {
    const { calendar, clock, digestAt } = this.options;
    return calendar.atLocalTime(calendar.localDate(clock.now()), digestAt);
  }

  /** Today's statistics slot (DUTY_SEND_AT local): one claim per day, whatever the number of replicas. */
  statisticsSlot(): Date {
    const { calendar, clock } = this.options;
    return calendar.atLocalTime(calendar.localDate(clock.now()), DUTY_SEND_AT);
  }

  private track(work: Promise<unknown>): void {
    const tracked = work
      .catch((error) => this.options.logger.error({ err: error }, 'reminder job failed; it will be taken over'))
      .finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }
}
