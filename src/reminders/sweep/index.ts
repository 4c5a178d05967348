/**
 * The reminder and escalation sweep (督办提醒与升级): sends every step of the escalation policy that has come due, once.
 * Kept whole because it is the orchestration only (planning, timing, the per-batch loop); the parts it calls live
 * beside it (lease, sources, compose, write, tips).
 *
 * It never evaluates every open hazard, and it writes nothing per hazard but the steps it sends. Where it has got
 * to is one row (lease.ts). A sweep at `at` plans its sources from that row (sources.ts: index ranges of `hazards`),
 * reads them window after window, and for each batch works out the due steps and their messages (compose.ts, with
 * the units' chains of responsibility from a per-sweep cache) and writes them (write.ts). The row moves on only when
 * every batch is written: a replica that dies mid-sweep leaves it where it was, and the next sweep reads the same
 * ranges again, sending only what is missing.
 *
 * The steps due the moment a hazard is reported go through the same composition and writing, inside the report's
 * transaction (`sendStepsOnReport`).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { type Calendar, type EscalationPolicy, stepsOnReport } from '../../domain/index.js';
import type { CardLinks } from '../../hazards/cards/detail-link.js';
import type { ReachOptions } from '../reach.js';
import { dueUnits, PeopleCache, ResponsibilityCache } from '../recipients.js';
import {
  composeMessages,
  dueStepsOf,
  effectsToApply,
  type PlannedStep,
  planSteps,
  type Resolved,
  type SweptStep,
} from './compose.js';
import { RENEW_AFTER_MS, readState, releaseState, renewState, takeState } from './lease.js';
import {
  countToRead,
  type DatabaseKind,
  planSources,
  readScheduledHazard,
  type ScheduledHazard,
  type Source,
  SourceCursor,
} from './sources.js';
import { sweepTipClock } from './tips.js';
import { type WrittenBatch, writeAllNew, writeBatch } from './write.js';

export type { SweptStep } from './compose.js';

export interface SweepOptions {
  /** The sweep's "now": steps due up to this instant are sent. */
  at: Date;
  /** Compute and answer what would be sent; change nothing. */
  dryRun?: boolean;
  /** Hazards per batch (one statement each, or a transaction when it must sort out a step sent meanwhile). */
  batchSize?: number;
  /** Batches in flight at once (PostgreSQL only; PGlite has one connection). */
  concurrency?: number;
  /** At most this many steps are listed in the answer (all are counted). */
  maxListed?: number;
  /** Called after each written batch, and while waiting for another sweep (0): the scheduler renews its lease here. */
  afterBatch?: (batch: number) => void | Promise<void>;
  /** Fault injection for tests: throw after this many written batches, as a crash would. */
  failAfterBatches?: number;
  /** For tests: called when a batch's steps are worked out, before they are written (another path may send one). */
  beforeWrite?: () => Promise<void>;
}

export interface SweepCounts {
  /** Hazards evaluated (read from the sweep's sources). */
  hazards: number;
  steps: number;
  messages: number;
  urgent: number;
  escalations: number;
  /** People steps addressed whom the bot cannot reach (no open_id, deactivated): told of through a fallback. */
  unreachable: number;
  /** Roles of steps that nobody reachable held, each told to the nearest role up the chain instead. */
  fallbacks: number;
  /** Steps nobody at all could be told of (not even the county leaders): recorded, not sent. */
  undelivered: number;
}

export interface SweepResult {
  at: string;
  dryRun: boolean;
  steps: SweptStep[];
  /** True when more steps were handled than listed. */
  truncated: boolean;
  counts: SweepCounts;
  batches: number;
  slowestBatchMs: number;
  durationMs: number;
  /** Vacuuming after a big sweep (not part of durationMs: the sweep's work was written by then). */
  tidyMs?: number;
  /** Milliseconds spent per phase, summed over batches (for the bench). */
  phases: Record<string, number>;
}

export interface SweepDeps {
  db: Db;
  kind: DatabaseKind;
  policy: EscalationPolicy;
  calendar: Calendar;
  /** Sent-step counters etc. */
  onStepsSent?: (steps: SweptStep[]) => void;
  /** How people can be reached: with an SMS gateway, people outside Feishu get their steps by SMS. */
  reach?: ReachOptions;
  /** Where the web view is: 查看详情 on the reminder cards; undefined = no web view, no links. */
  links: CardLinks;
}

/**
 * Hazards per batch. Each batch costs a statement, a commit and a parse of its parameters whatever its size, so
 * bigger batches spend less per hazard: 1,000 took a 1,000,000-hazard sweep from 20.6 s to 19.5 s (PostgreSQL CPU
 * 16.9 → 14.7 s) with its slowest batch at 157 ms (docs/benchmarks.md).
 */
export const DEFAULT_BATCH = 1000;
/** A loop's first batch in a big sweep: it meets cold caches and plans, and must stay as short as the rest. */
const FIRST_BATCH_OF_BIG_SWEEP = 125;
/** A sweep that evaluated this many hazards analyzes `reminder_steps` afterwards (see tidy). */
const TIDY_AFTER_HAZARDS = 50_000;

/** Looked up once per sweep, not per batch. */
interface SweepCaches {
  units: ResponsibilityCache;
  people: PeopleCache;
}

/** What a committed (or, in a dry run, computed) batch adds to the sweep's answer. */
interface RecordedBatch extends WrittenBatch {
  hazards: number;
  ms: number;
}

/** Loads what the hazards' steps need into the caches, and answers how to resolve each hazard from them. */
async function resolveFrom(db: Db, caches: SweepCaches, hazards: ScheduledHazard[]) {
  await caches.units.load(db, hazards);
  await caches.people.load(
    db,
    hazards.flatMap((h) => [h.responsibleId, h.reporterId]),
  );
  return (h: ScheduledHazard): Resolved => ({
    unit: caches.units.get(h),
    // Deactivated or not: a deactivated one is named on the step as not reached, and the step falls back.
    responsible: caches.people.get(h.responsibleId),
    reporter: caches.people.get(h.reporterId),
  });
}

/**
 * The policy's steps that fire the moment a hazard is reported (`{on: 'reported'}`), sent inside the report's
 * transaction `tx` through the same composition and writing as the sweep: the policy alone decides who is told,
 * how, and under which key. A step held back by quiet hours is left to the sweep, which reads the new hazard as
 * changed until they end.
 */
export async function sendStepsOnReport(
  tx: Db,
  deps: Pick<SweepDeps, 'policy' | 'calendar' | 'onStepsSent' | 'reach' | 'links'>,
  hazardId: number,
  at: Date,
): Promise<SweptStep[]> {
  const steps = stepsOnReport(deps.policy);
  if (steps.length === 0) return [];
  const hazard = await readScheduledHazard(tx, hazardId);
  if (!hazard) throw new Error(`hazard ${hazardId} is not in this transaction`);
  const context = {
    policy: { ...deps.policy, steps },
    calendar: deps.calendar,
    at,
    reach: deps.reach,
    links: deps.links,
  };
  const withDue = dueStepsOf([hazard], context);
  if (withDue.length === 0) return [];
  const resolve = await resolveFrom(tx, { units: new ResponsibilityCache(), people: new PeopleCache() }, [hazard]);
  const written = await writeBatch(tx, planSteps(withDue, resolve, context), at.toISOString());
  const swept = written.planned.map((p) => p.swept);
  deps.onStepsSent?.(swept);
  return swept;
}

export class ReminderSweep {
  private phases: Record<string, number> = {};
  constructor(private readonly deps: SweepDeps) {}

  private lap(phase: string, since: number): number {
    const now = performance.now();
    this.phases[phase] = (this.phases[phase] ?? 0) + (now - since);
    return now;
  }

  async run(options: SweepOptions): Promise<SweepResult> {
    const started = performance.now();
    const at = options.at;
    const dryRun = options.dryRun === true;
    const batchSize = options.batchSize ?? DEFAULT_BATCH;
    const maxListed = options.maxListed ?? 1000;
    const caches: SweepCaches = { units: new ResponsibilityCache(), people: new PeopleCache() };
    const result: SweepResult = {
      at: at.toISOString(),
      dryRun,
      steps: [],
      truncated: false,
      counts: {
        hazards: 0,
        steps: 0,
        messages: 0,
        urgent: 0,
        escalations: 0,
        unreachable: 0,
        fallbacks: 0,
        undelivered: 0,
      },
      batches: 0,
      slowestBatchMs: 0,
      durationMs: 0,
      phases: {},
    };
    this.phases = result.phases;
    const record = (batch: RecordedBatch) => {
      const { planned, messages } = batch;
      result.batches += 1;
      result.slowestBatchMs = Math.max(result.slowestBatchMs, batch.ms);
      result.counts.hazards += batch.hazards;
      result.counts.escalations += batch.escalations;
      result.counts.messages += messages.length;
      result.counts.urgent += messages.filter((m) => m.urgentOpenIds?.length).length;
      for (const p of planned) {
        if (p.swept.delivered) result.counts.steps += 1;
        else result.counts.undelivered += 1;
        result.counts.unreachable += p.unreachable;
        result.counts.fallbacks += p.fallbacks.length;
        if (result.steps.length < maxListed) result.steps.push(p.swept);
        else result.truncated = true;
      }
      if (!dryRun) this.deps.onStepsSent?.(planned.map((p) => p.swept));
    };

    const owner = randomUUID();
    const state = dryRun
      ? await readState(this.deps.db)
      : await takeState(this.deps.db, owner, async () => {
          // Waiting for another sweep is still working on this one's slot (the scheduler renews its lease).
          await options.afterBatch?.(0);
        });
    const { sources, next } = planSources(this.deps.policy, this.deps.calendar, state, at);
    if (dryRun) {
      const cursor = new SourceCursor(this.deps.db, this.deps.kind, sources);
      for (;;) {
        const t0 = performance.now();
        const hazards = await cursor.next(batchSize);
        if (hazards.length === 0) break;
        const planned = await this.plan(hazards, at, caches);
        record({
          planned,
          messages: composeMessages(planned, at.toISOString()).map((c) => c.message),
          escalations: planned.filter((p) => effectsToApply(p).length > 0).length,
          hazards: hazards.length,
          ms: performance.now() - t0,
        });
      }
    } else {
      let finished = false;
      try {
        await this.sweepAll(options, { at, batchSize, caches, sources, record, owner });
        finished = true;
      } finally {
        // Every batch committed: the next sweep starts where this one ends; otherwise where this one started.
        await releaseState(this.deps.db, owner, finished ? { state: next, at } : null);
      }
    }
    // The tips' answer clock: a few rows by their own index, after the hazards (domain/tip-clock.ts).
    const tipSteps = await sweepTipClock(this.deps.db, this.deps, at, dryRun);
    for (const step of tipSteps) {
      if (step.delivered) result.counts.steps += 1;
      else result.counts.undelivered += 1;
      result.counts.messages += step.to.length;
      if (step.urgent) result.counts.urgent += step.to.length;
      result.counts.fallbacks += step.fallbacks.length;
      if (result.steps.length < maxListed) result.steps.push(step);
      else result.truncated = true;
    }
    if (!dryRun && tipSteps.length > 0) this.deps.onStepsSent?.(tipSteps);
    result.durationMs = Math.round(performance.now() - started);
    result.slowestBatchMs = Math.round(result.slowestBatchMs * 10) / 10;
    if (!dryRun && result.counts.hazards >= TIDY_AFTER_HAZARDS) {
      const tidyStarted = performance.now();
      await this.tidy();
      result.tidyMs = Math.round(performance.now() - tidyStarted);
    }
    return result;
  }

  /** A sweep's batches, in parallel loops for a big one; throws when a batch fails (once the other loops stop). */
  private async sweepAll(
    options: SweepOptions,
    sweep: {
      at: Date;
      batchSize: number;
      caches: SweepCaches;
      sources: Source[];
      record: (batch: RecordedBatch) => void;
      owner: string;
    },
  ): Promise<void> {
    const { at, batchSize, caches, sources, record, owner } = sweep;
    const { db, kind } = this.deps;
    const cursor = new SourceCursor(db, kind, sources);
    let renewed = performance.now();
    const concurrency = kind === 'postgres' ? Math.max(1, options.concurrency ?? 2) : 1;
    // Nothing to read (most sweeps): one look at the sources' index ranges, no batches. More than one batch: a big
    // sweep (a catch-up after downtime, a new policy), which reads the units and people of everything to read once,
    // before its first batch: otherwise its first batches would each wait for their own lookups.
    const due = await countToRead(db, sources, batchSize + 1);
    const big = due > batchSize;
    if (big) {
      const prefetchStarted = performance.now();
      await Promise.all([
        dueUnits(
          db,
          sources.map((source) => source.where),
        ).then((units) => caches.units.load(db, units)),
        caches.people.prefetch(db),
      ]);
      this.lap('prefetch', prefetchStarted);
    }
    let batches = 0;
    let done = false;
    const loop = async () => {
      // In a big sweep, a loop's first batch is small: it meets cold caches and plans, and every batch must stay
      // short. (A small sweep stays one batch: one card per person.)
      let size = big ? Math.min(batchSize, FIRST_BATCH_OF_BIG_SWEEP) : batchSize;
      while (!done) {
        if (options.failAfterBatches !== undefined && batches >= options.failAfterBatches) {
          throw new Error(`sweep interrupted after ${batches} batches (fault injection)`);
        }
        // A batch's time includes its share of reading: now and then the read of a whole window.
        const t0 = performance.now();
        const hazards = await cursor.next(size);
        this.lap('read', t0);
        size = batchSize;
        if (hazards.length === 0) {
          done = true;
          break;
        }
        const written = await this.sweepBatch(at, hazards, caches, options);
        batches += 1;
        record({ ...written, hazards: hazards.length, ms: performance.now() - t0 });
        if (performance.now() - renewed > RENEW_AFTER_MS) {
          renewed = performance.now();
          await renewState(db, owner);
        }
        await options.afterBatch?.(batches);
      }
    };
    // When one loop fails, the others stop after their current batch, and the sweep fails only once they have:
    // a loop still running after the failure was reported would renew the slot's lease and delay the takeover.
    const stopOthersOnFailure = async () => {
      try {
        await loop();
      } catch (error) {
        done = true;
        throw error;
      }
    };
    // Parallel loops only for a big sweep: two loops reading one batch's worth at once would split it between
    // them, and a person would get two cards where one was meant.
    const loops = due === 0 ? 0 : big ? concurrency : 1;
    const outcomes = await Promise.allSettled(Array.from({ length: loops }, stopOthersOnFailure));
    done = true;
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * After a big sweep (a catch-up after downtime, a new policy) `reminder_steps` has grown by as many rows as it
   * sent; analyze it now rather than wait for autovacuum, so that the planner sees its size.
   */
  private async tidy(): Promise<void> {
    await this.deps.db.execute(sql`vacuum (analyze) reminder_steps`);
  }

  /** Due steps, their recipients and cards for these hazards (no writes). */
  private async plan(hazards: ScheduledHazard[], at: Date, caches: SweepCaches): Promise<PlannedStep[]> {
    const { policy, calendar, reach, links } = this.deps;
    const context = { policy, calendar, at, reach, links };
    let t = performance.now();
    const withDue = dueStepsOf(hazards, context);
    t = this.lap('evaluate', t);
    const resolve = await resolveFrom(
      this.deps.db,
      caches,
      withDue.map((x) => x.hazard),
    );
    t = this.lap('recipients', t);
    const planned = planSteps(withDue, resolve, context);
    this.lap('plan', t);
    return planned;
  }

  /**
   * One batch: its steps worked out, then written — in one statement when every step is new, in a transaction that
   * sends only the new ones when another path sent one meanwhile, and at once in a transaction when its steps
   * change hazards (effects).
   */
  private async sweepBatch(at: Date, hazards: ScheduledHazard[], caches: SweepCaches, options: SweepOptions) {
    const atIso = at.toISOString();
    const planned = await this.plan(hazards, at, caches);
    await options.beforeWrite?.();
    let t = performance.now();
    const composed = composeMessages(planned, atIso);
    t = this.lap('cards', t);
    const changesHazards = planned.some((p) => effectsToApply(p).length > 0);
    if (!changesHazards && (await writeAllNew(this.deps.db, planned, composed, atIso))) {
      this.lap('write', t);
      return { planned, messages: composed.map((c) => c.message), escalations: 0 };
    }
    const written = await this.deps.db.transaction((tx) => writeBatch(tx, planned, atIso));
    this.lap('write', t);
    return written;
  }
}
