/**
 * The reminder and escalation sweep (督办提醒与升级): sends every step of the escalation policy that has come due, once.
 *
 * It never evaluates every open hazard: `hazard_schedules.next_due_at` says when each hazard next needs looking at
 * (a trigger re-arms it to -infinity on every change of the hazard), so a sweep reads only due rows. Each batch is
 * one transaction of two statements:
 *   1. claim due schedule rows in the order (due time, township, unit), after where the previous batch ended
 *      (FOR UPDATE SKIP LOCKED: replicas and parallel loops split the work, never share it), and read their hazards;
 *      the schedule row carries the step keys already claimed
 *   → `dueSteps` → resolve recipients (cached per unit) → one card per person (and township group) for all of their
 *     steps in the batch
 *   2. insert `reminder_steps` ON CONFLICT DO NOTHING (the unique row is the once-only guarantee), store each
 *      hazard's next due instant and claimed keys, and queue the cards — only if every step was new; otherwise the
 *      cards are composed again for the new steps alone.
 *   Side effects (county supervision) follow for the new steps.
 * A replica that dies mid-batch rolls the batch back; the rows stay due and the next sweep (or a takeover) sends them.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import {
  type Calendar,
  compareSupervision,
  type DueStep,
  type EscalationPolicy,
  evaluateSteps,
  GRADE_LABELS,
  type Hazard,
  type HazardGrade,
  type HazardStatus,
  type Recipient,
  type SupervisionLevel,
} from '../domain/index.js';
import { buildReminderCard, buildReminderListCard, type ReminderCardInput } from '../feishu/cards/reminders.js';
import { insertOutboxRows, type NewOutboxRow, type OutgoingMessage, sendRow } from '../feishu/outbox.js';
import {
  dueUnits,
  intArray,
  PeopleCache,
  type Person,
  ResponsibilityCache,
  type UnitResponsibility,
} from './recipients.js';

/** Looked up once per sweep, not per batch. */
interface SweepCaches {
  units: ResponsibilityCache;
  people: PeopleCache;
}

export interface SweepOptions {
  /** The sweep's "now": steps due up to this instant are sent. */
  at: Date;
  /** Compute and answer what would be sent; change nothing. */
  dryRun?: boolean;
  /** Hazards per batch (one transaction each). */
  batchSize?: number;
  /** Batches in flight at once (PostgreSQL only; PGlite has one connection). */
  concurrency?: number;
  /** At most this many steps are listed in the answer (all are counted). */
  maxListed?: number;
  /** Called after each committed batch (the scheduler renews its lease here). */
  afterBatch?: (batch: number) => void | Promise<void>;
  /** Fault injection for tests: throw after this many committed batches, as a crash would. */
  failAfterBatches?: number;
}

export interface SweptStep {
  hazard: string;
  step: string;
  key: string;
  label: string;
  channel: DueStep['channel'];
  to: { name: string; openId: string | null }[];
  /** The township group chat the step was @mentioned in, if any. */
  chatId: string | null;
  urgent: boolean;
  effects: string[];
}

export interface SweepCounts {
  /** Hazards evaluated (due schedule rows claimed). */
  hazards: number;
  steps: number;
  messages: number;
  urgent: number;
  escalations: number;
  /** Recipients without a Feishu open_id (not messaged). */
  unreachable: number;
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
  /** Vacuuming after a big sweep (not part of durationMs: the sweep's work was committed by then). */
  tidyMs?: number;
  /** Milliseconds spent per phase, summed over batches (for the bench). */
  phases: Record<string, number>;
}

export interface SweepDeps {
  db: Db;
  kind: 'postgres' | 'pglite';
  policy: EscalationPolicy;
  calendar: Calendar;
  /** Sent-step counters etc. */
  onStepsSent?: (steps: SweptStep[]) => void;
}

const DEFAULT_BATCH = 500;
/** A loop's first batch in a big sweep: 500 hazards on cold caches took 250–310 ms, against 40–50 ms warm. */
const FIRST_BATCH_OF_BIG_SWEEP = 125;
/** A sweep that evaluated this many hazards vacuums its tables afterwards (see tidy). */
const TIDY_AFTER_HAZARDS = 50_000;
/** A hazard whose row another writer holds while an effect is due is retried this much later. */
const LOCKED_RETRY_MS = 60_000;

const ROLE_LABELS: Record<Recipient, string> = {
  responsible: '整改责任人',
  reporter: '检查人员',
  inspectors: '属地检查人员',
  enterprise_principal: '企业主要负责人',
  enterprise_safety_officer: '企业安全管理员',
  township_leader_in_charge: '乡镇分管领导',
  township_main_leader: '乡镇主要领导',
  department_leader: '行业主管部门负责人',
  county_leader: '县领导',
};

interface HazardRow {
  id: number;
  code: string;
  enterprise_id: number;
  region_id: number;
  department_id: number | null;
  grade: string;
  status: string;
  description: string;
  deadline: string;
  deadline_set_at: number;
  reported_at: number;
  assigned_at: number | null;
  acknowledged_at: number | null;
  supervision: string;
  responsible_id: number | null;
  reporter_id: number | null;
  sent: string[] | null;
}

interface Loaded {
  row: HazardRow;
  hazard: Hazard;
  sent: Set<string>;
}

/** What a hazard's steps need beyond its row, from the sweep's caches. */
interface Resolved {
  unit: UnitResponsibility | undefined;
  /** The responsible person if still active. */
  responsible: Person | null;
  reporter: Person | null;
}

const ms = (value: number | string | null): Date | null => (value === null ? null : new Date(Number(value)));

/** A place in the claim order (next_due_at, region, unit, hazard): where the previous batch ended. */
export interface DuePosition {
  /** next_due_at as PostgreSQL writes it (it may be -infinity, which a Date cannot hold). */
  due: string;
  region: number;
  enterprise: number;
  hazard: number;
}

/** Where the loops of one sweep are in the claim order; `rest` once the ordered pass is over. */
interface ClaimCursor {
  after: DuePosition | null;
  rest: boolean;
}

/**
 * The due schedule rows (up to `limit`) after `after` in the claim order, with their hazards' domain view and the
 * step keys already claimed, in one statement. `lock` claims the rows (FOR UPDATE SKIP LOCKED: replicas and
 * parallel loops split the work). A schedule row whose hazard vanished comes back with no hazard so that the
 * caller can park it.
 *
 * Starting after the previous batch matters: every claimed row leaves a dead index entry behind (its next_due_at
 * moved), and a scan from the start would step over all of them again in every batch.
 */
async function readDue(
  db: Db,
  at: string,
  limit: number,
  options: { lock: boolean; after: DuePosition | null },
): Promise<{ ids: number[]; loaded: Loaded[]; last: DuePosition | null }> {
  const { after } = options;
  const from = after
    ? sql`and (next_due_at, region_id, enterprise_id, hazard_id)
        > (${after.due}::timestamptz, ${after.region}, ${after.enterprise}, ${after.hazard})`
    : sql``;
  // The limit is our own integer, inlined so that the plan is the same every batch (an index range scan, then
  // lookups by key); nothing here takes an array parameter whose length a generic plan would misjudge.
  const due = sql`select hazard_id, sent_keys, next_due_at, region_id, enterprise_id from hazard_schedules
    where next_due_at <= ${at}::timestamptz ${from}
    order by next_due_at, region_id, enterprise_id, hazard_id limit ${sql.raw(String(Math.trunc(limit)))}
    ${options.lock ? sql`for update skip locked` : sql``}`;
  const rows = rowsOf<
    HazardRow & { hazard_id: number; code: string | null; due_at: string; due_region: number; due_enterprise: number }
  >(
    await db.execute(sql`
      with due as (${due})
      select due.hazard_id, due.sent_keys as sent, due.next_due_at::text as due_at, due.region_id as due_region,
        due.enterprise_id as due_enterprise,
        h.id, h.code, h.enterprise_id, h.region_id, h.department_id, h.grade, h.status, h.description,
        to_char(h.deadline, 'YYYY-MM-DD') as deadline,
        (extract(epoch from h.deadline_set_at) * 1000)::float8 as deadline_set_at,
        (extract(epoch from h.reported_at) * 1000)::float8 as reported_at,
        (extract(epoch from h.assigned_at) * 1000)::float8 as assigned_at,
        (extract(epoch from h.acknowledged_at) * 1000)::float8 as acknowledged_at,
        h.supervision, h.responsible_id, h.reporter_id
      from due
      left join hazards h on h.id = due.hazard_id
      order by due.next_due_at, due.region_id, due.enterprise_id, due.hazard_id`),
  );
  const ids = rows.map((row) => Number(row.hazard_id));
  const loaded = rows.filter((row) => row.code !== null).map(toLoaded);
  const end = rows.at(-1);
  const last = end
    ? {
        due: end.due_at,
        region: Number(end.due_region),
        enterprise: Number(end.due_enterprise),
        hazard: Number(end.hazard_id),
      }
    : null;
  return { ids, loaded, last };
}

function toLoaded(row: HazardRow): Loaded {
  row.id = Number(row.id);
  row.enterprise_id = Number(row.enterprise_id);
  row.region_id = Number(row.region_id);
  row.department_id = row.department_id === null ? null : Number(row.department_id);
  row.responsible_id = row.responsible_id === null ? null : Number(row.responsible_id);
  row.reporter_id = row.reporter_id === null ? null : Number(row.reporter_id);
  // The policy reads neither the unit nor the people by code: the sweep resolves them by id (see Resolved).
  const hazard: Hazard = {
    enterpriseCode: '',
    regionPath: [],
    departmentCode: null,
    principal: null,
    safetyOfficer: null,
    reporter: '',
    responsible: null,
    rectifiedBy: null,
    grade: row.grade as HazardGrade,
    status: row.status as HazardStatus,
    reportedAt: ms(row.reported_at)!,
    assignedAt: ms(row.assigned_at),
    acknowledgedAt: ms(row.acknowledged_at),
    deadline: row.deadline,
    deadlineSetAt: ms(row.deadline_set_at)!,
    supervision: row.supervision as SupervisionLevel,
    suspended: false,
    extensionRequest: null,
    rectifiedAt: null,
    closedAt: null,
    closedBy: null,
  };
  return { row, hazard, sent: new Set(row.sent ?? []) };
}

function recipientsOf(step: DueStep, { unit, responsible, reporter }: Resolved) {
  const people: { person: Person; role: Recipient }[] = [];
  const add = (role: Recipient, list: (Person | null)[]) => {
    for (const person of list) if (person) people.push({ person, role });
  };
  for (const who of step.who) {
    switch (who) {
      case 'responsible':
        add(who, [responsible]);
        break;
      case 'reporter':
        add(who, [reporter]);
        break;
      case 'inspectors':
        add(who, unit?.inspectors ?? []);
        break;
      case 'enterprise_principal':
        add(who, [unit?.principal ?? null]);
        break;
      case 'enterprise_safety_officer':
        add(who, [unit?.safetyOfficer ?? null]);
        break;
      case 'township_leader_in_charge':
        add(who, unit?.townshipLeaderInCharge ?? []);
        break;
      case 'township_main_leader':
        add(who, unit?.townshipMainLeader ?? []);
        break;
      case 'department_leader':
        add(who, unit?.departmentLeader ?? []);
        break;
      case 'county_leader':
        add(who, unit?.countyLeaders ?? []);
        break;
    }
  }
  // One message per person per step, however many roles they hold; the first role names them.
  const seen = new Set<string>();
  return people.filter(({ person }) => {
    if (seen.has(person.code)) return false;
    seen.add(person.code);
    return true;
  });
}

interface PlannedStep {
  loaded: Loaded;
  due: DueStep;
  swept: SweptStep;
  /** What the step's card says; rendered once the batch knows who gets which steps. */
  card: ReminderCardInput;
  /** open_ids told directly (the reachable recipients). */
  openIds: string[];
  unreachable: number;
}

/** What every step of one batch shares. */
interface BatchContext {
  at: number;
  /** The local date at `at`. */
  today: string;
  calendar: Calendar;
}

function planStep(loaded: Loaded, due: DueStep, resolved: Resolved, batch: BatchContext): PlannedStep {
  const recipients = recipientsOf(due, resolved);
  const openIds = recipients.flatMap((r) => (r.person.openId ? [r.person.openId] : []));
  const urgent = due.channel === 'urgent';
  const unit = resolved.unit;
  const mentions = due.channel !== 'card' && unit?.chatId && openIds.length > 0 ? unit.chatId : null;
  const row = loaded.row;
  const overdueMs = batch.at - batch.calendar.deadlineInstant(row.deadline).getTime();
  return {
    loaded,
    due,
    openIds,
    unreachable: recipients.length - openIds.length,
    card: {
      hazardCode: row.code,
      enterpriseName: unit?.enterpriseName ?? '',
      description: row.description,
      deadline: row.deadline,
      gradeLabel: GRADE_LABELS[loaded.hazard.grade] ?? row.grade,
      overdueDays: overdueMs >= 0 ? Math.floor(overdueMs / 86_400_000) : null,
      daysLeft: overdueMs < 0 ? Math.round((Date.parse(row.deadline) - Date.parse(batch.today)) / 86_400_000) : null,
      stepLabel: due.step.label ?? due.stepId,
      channel: due.channel,
      raisesSupervision: due.effects.some((e) => e.type === 'raise_supervision' && e.level === 'county'),
      responsibleName: resolved.responsible?.name ?? null,
      notified: recipients.map((r) => `${r.person.name}（${ROLE_LABELS[r.role]}）`),
    },
    swept: {
      hazard: row.code,
      step: due.stepId,
      key: due.key,
      label: due.step.label ?? due.stepId,
      channel: due.channel,
      to: recipients.map(({ person }) => ({ name: person.name, openId: person.openId })),
      chatId: mentions,
      urgent,
      effects: due.effects.map((e) => `${e.type}:${e.level}`),
    },
  };
}

/** A message ready for the outbox, its row id chosen here so that the step rows can name it. */
interface ComposedMessage {
  id: string;
  message: OutgoingMessage;
  steps: PlannedStep[];
}

/** Most pressing first: overdue longest, then nearest deadline. */
function byPressure(a: PlannedStep, b: PlannedStep): number {
  const overdue = (p: PlannedStep) => p.card.overdueDays ?? -1 - (p.card.daysLeft ?? 0);
  // Codes are ASCII (YH-2026-0000001): a plain comparison, not localeCompare, which is slow at this volume.
  const x = a.card.hazardCode;
  const y = b.card.hazardCode;
  return overdue(b) - overdue(a) || (x < y ? -1 : x > y ? 1 : 0);
}

/**
 * The batch's messages: each person (and each township group) gets one card for all of their steps in the batch
 * — the step's own card when there is one, a list card when there are several — buzzed (加急) when any step is
 * urgent. A batch holds the hazards of few units (the claim order), so this is what keeps a backlog from
 * becoming a flood.
 */
function composeMessages(steps: PlannedStep[], at: string): ComposedMessage[] {
  const direct = new Map<string, PlannedStep[]>();
  const groups = new Map<string, { steps: PlannedStep[]; mention: Set<string> }>();
  for (const step of steps) {
    for (const openId of step.openIds) {
      const list = direct.get(openId);
      if (list) list.push(step);
      else direct.set(openId, [step]);
    }
    const chatId = step.swept.chatId;
    if (chatId) {
      const group = groups.get(chatId) ?? { steps: [], mention: new Set<string>() };
      group.steps.push(step);
      for (const openId of step.openIds) group.mention.add(openId);
      groups.set(chatId, group);
    }
  }
  const topicOf = (list: PlannedStep[]) =>
    list.length === 1 ? `reminder:${list[0]!.card.hazardCode}:${list[0]!.due.key}` : `reminders:${at}`;
  const render = (list: PlannedStep[], mentionOpenIds?: string[]) => {
    if (list.length === 1)
      return buildReminderCard({ ...list[0]!.card, ...(mentionOpenIds ? { mentionOpenIds } : {}) });
    const items = [...list].sort(byPressure).map((p) => p.card);
    return buildReminderListCard({ items, ...(mentionOpenIds ? { mentionOpenIds } : {}) });
  };
  const composed: ComposedMessage[] = [];
  for (const [openId, list] of direct) {
    const urgent = list.some((p) => p.swept.urgent);
    composed.push({
      id: randomUUID(),
      steps: list,
      message: {
        to: { openId },
        msgType: 'interactive',
        content: render(list),
        ...(urgent ? { urgentOpenIds: [openId] } : {}),
        topic: topicOf(list),
      },
    });
  }
  for (const [chatId, group] of groups) {
    composed.push({
      id: randomUUID(),
      steps: group.steps,
      message: {
        to: { chatId },
        msgType: 'interactive',
        content: render(group.steps, [...group.mention]),
        topic: topicOf(group.steps),
      },
    });
  }
  return composed;
}

/** The step rows of `steps`, each naming the messages that carry it. */
function stepRows(steps: PlannedStep[], composed: ComposedMessage[]) {
  const carriers = new Map<PlannedStep, string[]>();
  for (const { id, steps: carried } of composed) {
    for (const step of carried) {
      const ids = carriers.get(step);
      if (ids) ids.push(id);
      else carriers.set(step, [id]);
    }
  }
  return steps.map((p) => ({ h: p.loaded.row.id, k: p.due.key, o: carriers.get(p) ?? [] }));
}

/** Steps whose effect would change the hazard (e.g. raise supervision that is still lower). */
function effectsToApply(loaded: Loaded, due: DueStep): { level: 'township' | 'county' }[] {
  return due.effects.filter(
    (e) => e.type === 'raise_supervision' && compareSupervision(loaded.hazard.supervision, e.level) < 0,
  );
}

/** The outbox rows of the composed messages, under the ids the step rows name. */
function outboxRows(composed: ComposedMessage[]): NewOutboxRow[] {
  return composed.map(({ id, message }) => sendRow(message, id));
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
      counts: { hazards: 0, steps: 0, messages: 0, urgent: 0, escalations: 0, unreachable: 0 },
      batches: 0,
      slowestBatchMs: 0,
      durationMs: 0,
      phases: {},
    };
    this.phases = result.phases;
    const record = (batch: {
      planned: PlannedStep[];
      messages: OutgoingMessage[];
      escalations: number;
      hazards: number;
      ms: number;
    }) => {
      const { planned, messages } = batch;
      result.batches += 1;
      result.slowestBatchMs = Math.max(result.slowestBatchMs, batch.ms);
      result.counts.hazards += batch.hazards;
      result.counts.escalations += batch.escalations;
      result.counts.messages += messages.length;
      result.counts.urgent += messages.filter((m) => m.urgentOpenIds?.length).length;
      for (const p of planned) {
        result.counts.steps += 1;
        result.counts.unreachable += p.unreachable;
        if (result.steps.length < maxListed) result.steps.push(p.swept);
        else result.truncated = true;
      }
      if (!dryRun) this.deps.onStepsSent?.(planned.map((p) => p.swept));
    };

    if (dryRun) {
      let after: DuePosition | null = null;
      for (;;) {
        const t0 = performance.now();
        const { ids, loaded, last } = await readDue(this.deps.db, at.toISOString(), batchSize, { lock: false, after });
        if (ids.length === 0) break;
        after = last;
        const { planned } = await this.plan(this.deps.db, loaded, at, caches);
        record({
          planned,
          messages: composeMessages(planned, at.toISOString()).map((c) => c.message),
          escalations: planned.reduce((n, p) => n + effectsToApply(p.loaded, p.due).length, 0),
          hazards: ids.length,
          ms: performance.now() - t0,
        });
      }
    } else {
      const concurrency = this.deps.kind === 'postgres' ? Math.max(1, options.concurrency ?? 2) : 1;
      const cursor: ClaimCursor = { after: null, rest: false };
      // Nothing due (most sweeps): one index-only look, no batch transactions. More than one batch due: a big
      // sweep (a catch-up after downtime, a new policy), which reads the units and people of everything due once,
      // before its first batch: otherwise its first batches would each wait for their own lookups.
      const due = await this.countDue(at, batchSize + 1);
      const big = due > batchSize;
      if (big) {
        const prefetchStarted = performance.now();
        await Promise.all([
          dueUnits(this.deps.db, at).then((units) => caches.units.load(this.deps.db, units)),
          caches.people.prefetch(this.deps.db),
        ]);
        this.lap('prefetch', prefetchStarted);
      }
      let batches = 0;
      let done = false;
      const loop = async () => {
        // In a big sweep, a loop's first batch is small: it meets cold caches and plans, and every batch is a
        // transaction that must stay short. (A small sweep stays one batch: one card per person.)
        let size = big ? Math.min(batchSize, FIRST_BATCH_OF_BIG_SWEEP) : batchSize;
        while (!done) {
          if (options.failAfterBatches !== undefined && batches >= options.failAfterBatches) {
            throw new Error(`sweep interrupted after ${batches} batches (fault injection)`);
          }
          const t0 = performance.now();
          const outcome = await this.deps.db.transaction((tx) => this.sweepBatch(tx, at, size, caches, cursor));
          size = batchSize;
          if (outcome.claimed === 0) {
            done = true;
            break;
          }
          batches += 1;
          record({ ...outcome, hazards: outcome.claimed, ms: performance.now() - t0 });
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
      // Parallel loops only for a big sweep: two loops claiming one batch's worth at once split it between them
      // (each skips the rows the other has locked so far), and a person got two cards where one was meant.
      const loops = due === 0 ? 0 : big ? concurrency : 1;
      const outcomes = await Promise.allSettled(Array.from({ length: loops }, stopOthersOnFailure));
      done = true;
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
    }
    result.durationMs = Math.round(performance.now() - started);
    result.slowestBatchMs = Math.round(result.slowestBatchMs * 10) / 10;
    if (!dryRun && result.counts.hazards >= TIDY_AFTER_HAZARDS) {
      const tidyStarted = performance.now();
      await this.tidy();
      result.tidyMs = Math.round(performance.now() - tidyStarted);
    }
    return result;
  }

  /** How many schedule rows are due at `at`, counting no further than `limit` (an index-only look). */
  private async countDue(at: Date, limit: number): Promise<number> {
    const rows = rowsOf<{ n: number }>(
      await this.deps.db.execute(sql`select count(*)::int as n from (
        select 1 from hazard_schedules where next_due_at <= ${at.toISOString()}::timestamptz
        limit ${sql.raw(String(Math.trunc(limit)))}) due`),
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * After a big sweep (a catch-up after downtime, a new policy), every schedule row it evaluated has left a dead
   * version and a dead index entry behind. Until vacuum removes them, every later sweep steps over them at the
   * start of the due index (an empty sweep over a million of them takes tens of ms instead of one), and the
   * planner works from the table's size before the sweep. Autovacuum would get there; we do not wait for it.
   */
  private async tidy(): Promise<void> {
    await this.deps.db.execute(sql`vacuum (analyze) hazard_schedules, reminder_steps`);
  }

  /** Due steps and their messages for these hazards (no writes). */
  private async plan(db: Db, loaded: Loaded[], at: Date, caches: SweepCaches) {
    const { policy, calendar } = this.deps;
    let t = performance.now();
    const withSteps = loaded.map((l) => ({ l, ...evaluateSteps(l.hazard, policy, at, calendar, l.sent) }));
    t = this.lap('evaluate', t);
    const needed = withSteps.filter((x) => x.due.length > 0).map((x) => x.l.row);
    await caches.units.load(
      db,
      needed.map((r) => ({ enterpriseId: r.enterprise_id, regionId: r.region_id, departmentId: r.department_id })),
    );
    await caches.people.load(
      db,
      needed.flatMap((r) => [r.responsible_id, r.reporter_id]),
    );
    t = this.lap('recipients', t);
    const batch: BatchContext = { at: at.getTime(), today: calendar.localDate(at), calendar };
    const planned: PlannedStep[] = [];
    for (const { l, due } of withSteps) {
      if (due.length === 0) continue;
      const row = l.row;
      const resolved: Resolved = {
        unit: caches.units.get({
          enterpriseId: row.enterprise_id,
          regionId: row.region_id,
          departmentId: row.department_id,
        }),
        responsible: caches.people.get(row.responsible_id, true),
        reporter: caches.people.get(row.reporter_id),
      };
      for (const step of due) planned.push(planStep(l, step, resolved, batch));
    }
    this.lap('plan', t);
    return { withSteps, planned };
  }

  private async sweepBatch(tx: Db, at: Date, batchSize: number, caches: SweepCaches, cursor: ClaimCursor) {
    const atIso = at.toISOString();
    let t = performance.now();
    // The batch's statements have the same shape every time (inlined limit, one JSON parameter per write), so one
    // plan per connection serves every batch; connections otherwise plan each execution (see db/client.ts).
    // Measured over 300,000 hazards: about 7% less PostgreSQL CPU.
    if (this.deps.kind === 'postgres') await tx.execute(sql`set local plan_cache_mode = force_generic_plan`);
    let claimed = await readDue(tx, atIso, batchSize, { lock: true, after: cursor.rest ? null : cursor.after });
    if (claimed.ids.length === 0 && !cursor.rest && cursor.after !== null) {
      // The ordered pass is over; what it stepped past (rows another replica held, or re-armed meanwhile) is
      // claimed from the start.
      cursor.rest = true;
      claimed = await readDue(tx, atIso, batchSize, { lock: true, after: null });
    }
    // Last writer wins: a loop that moves the cursor back a little only re-reads rows that are no longer due.
    if (!cursor.rest && claimed.last) cursor.after = claimed.last;
    const { ids, loaded } = claimed;
    t = this.lap('claim', t);
    if (ids.length === 0) return { claimed: 0, planned: [] as PlannedStep[], messages: [], escalations: 0 };
    const { withSteps, planned: allPlanned } = await this.plan(tx, loaded, at, caches);
    t = performance.now();

    // Effects change the hazard row: take it without waiting (a user's transaction may hold it and wait on our
    // schedule row through the trigger); a hazard we cannot take now is retried shortly, steps and all.
    const needLock = new Set(
      allPlanned.filter((p) => effectsToApply(p.loaded, p.due).length > 0).map((p) => p.loaded.row.id),
    );
    const deferred = new Set<number>();
    if (needLock.size > 0) {
      const locked = new Set(
        rowsOf<{ id: number }>(
          await tx.execute(
            sql`select id from hazards where id = any(${intArray(needLock)}::int[]) for update skip locked`,
          ),
        ).map((r) => Number(r.id)),
      );
      for (const id of needLock) if (!locked.has(id)) deferred.add(id);
    }
    const planned = allPlanned.filter((p) => !deferred.has(p.loaded.row.id));

    // Next due instant per hazard once its due steps are claimed (evaluateSteps worked it out); deferred ones
    // come back shortly. Rows whose hazard vanished are parked (null) rather than claimed forever.
    const retryAt = new Date(at.getTime() + LOCKED_RETRY_MS).toISOString();
    const schedule = withSteps.map(({ l, due, next }) => {
      if (deferred.has(l.row.id)) return { h: l.row.id, n: retryAt, k: [...l.sent] };
      return { h: l.row.id, n: next ? next.toISOString() : null, k: [...l.sent, ...due.map((d) => d.key)] };
    });
    const seen = new Set(loaded.map((l) => l.row.id));
    for (const id of ids) if (!seen.has(id)) schedule.push({ h: id, n: null, k: [] });
    t = this.lap('schedule', t);
    let composed = composeMessages(planned, atIso);
    t = this.lap('cards', t);

    // One statement writes the batch. The step rows are the once-only guarantee (ON CONFLICT DO NOTHING: a step
    // claimed before is not sent again); the messages were composed assuming every step is new here — as it is
    // unless sent_keys missed one — and are inserted only if so. Otherwise they are composed again below for
    // the new steps alone.
    const written = rowsOf<{ hazard_id: number; step_key: string }>(
      await tx.execute(sql`
        with steps as (
          insert into reminder_steps (hazard_id, step_key, sent_at, outbox_ids)
          select x.h, x.k, ${atIso}::timestamptz, x.o
          from jsonb_to_recordset(${JSON.stringify(stepRows(planned, composed))}::jsonb) as x(h int, k text, o uuid[])
          on conflict (hazard_id, step_key) do nothing
          returning hazard_id, step_key),
        schedules as (
          update hazard_schedules s set next_due_at = x.n, evaluated_at = ${atIso}::timestamptz, sent_keys = x.k
          from jsonb_to_recordset(${JSON.stringify(schedule)}::jsonb) as x(h int, n timestamptz, k text[])
          where s.hazard_id = x.h),
        messages as (${insertOutboxRows(outboxRows(composed), sql`(select count(*) from steps) = ${planned.length}`)})
        select hazard_id, step_key from steps`),
    );
    let fresh = planned;
    if (written.length < planned.length) {
      const isNew = new Set(written.map((c) => `${Number(c.hazard_id)}\u0000${c.step_key}`));
      fresh = planned.filter((p) => isNew.has(`${p.loaded.row.id}\u0000${p.due.key}`));
      composed = composeMessages(fresh, atIso);
      if (composed.length > 0) {
        await tx.execute(sql`
          with carriers as (
            update reminder_steps rs set outbox_ids = x.o
            from jsonb_to_recordset(${JSON.stringify(stepRows(fresh, composed))}::jsonb) as x(h int, k text, o uuid[])
            where rs.hazard_id = x.h and rs.step_key = x.k)
          ${insertOutboxRows(outboxRows(composed))}`);
      }
    }
    t = this.lap('write', t);
    const escalations = await this.applyEffects(tx, fresh, atIso);
    this.lap('effects', t);
    return { claimed: ids.length, planned: fresh, messages: composed.map((c) => c.message), escalations };
  }

  /** Side effects of the newly claimed steps: raise supervision, with an audit row. Returns how many hazards. */
  private async applyEffects(tx: Db, fresh: PlannedStep[], atIso: string): Promise<number> {
    const raises = new Map<number, { level: 'township' | 'county'; key: string; label: string }>();
    for (const p of fresh) {
      for (const effect of effectsToApply(p.loaded, p.due)) {
        const current = raises.get(p.loaded.row.id);
        if (!current || compareSupervision(current.level, effect.level) < 0) {
          raises.set(p.loaded.row.id, { level: effect.level, key: p.due.key, label: p.swept.label });
        }
      }
    }
    if (raises.size === 0) return 0;
    const list = [...raises].map(([id, r]) => ({ id, level: r.level, key: r.key, label: r.label }));
    const changed = rowsOf<{ id: number }>(
      await tx.execute(sql`
        with x as (select * from jsonb_to_recordset(${JSON.stringify(list)}::jsonb) as x(id int, level text, key text, label text)),
        old as (select h.id, h.supervision from hazards h join x on x.id = h.id),
        upd as (
          update hazards h set supervision = x.level, version = h.version + 1, updated_at = ${atIso}::timestamptz
          from x where h.id = x.id returning h.id)
        insert into hazard_events (hazard_id, type, actor_id, at, details)
        select upd.id, 'supervision_raised', null, ${atIso}::timestamptz,
          jsonb_build_object('from', old.supervision, 'to', x.level,
            'reason', '督办规则：' || x.label, 'step', x.key)
        from upd join old on old.id = upd.id join x on x.id = upd.id
        returning hazard_id as id`),
    );
    return changed.length;
  }
}
