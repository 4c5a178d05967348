/**
 * The reminder and escalation sweep (督办提醒与升级): sends every step of the escalation policy that has come due, once.
 *
 * It never evaluates every open hazard: `hazard_schedules.next_due_at` says when each hazard next needs looking at
 * (a trigger re-arms it to -infinity on every change of the hazard), so a sweep reads only due rows. Each batch is
 * one transaction:
 *   claim due schedule rows (FOR UPDATE SKIP LOCKED: replicas and parallel loops split the work, never share it)
 *   → load those hazards and the steps already sent → `dueSteps` → resolve recipients (cached per unit)
 *   → insert `reminder_steps` ON CONFLICT DO NOTHING RETURNING (the unique row is the once-only guarantee)
 *   → outbox rows and side effects (county supervision) for the newly claimed steps only
 *   → store each hazard's next due instant.
 * A replica that dies mid-batch rolls the batch back; the rows stay due and the next sweep (or a takeover) sends them.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import {
  type Calendar,
  compareSupervision,
  type DueStep,
  dueSteps,
  type EscalationPolicy,
  GRADE_LABELS,
  type Hazard,
  type HazardGrade,
  type HazardStatus,
  nextDueAt,
  type Recipient,
  type SupervisionLevel,
} from '../domain/index.js';
import { buildReminderCard, type ReminderCardInput } from '../feishu/cards/reminders.js';
import type { OutgoingMessage } from '../feishu/outbox.js';
import { intArray, type Person, ResponsibilityCache, type UnitResponsibility } from './recipients.js';

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
  enterprise_code: string;
  enterprise_name: string;
  responsible_id: number | null;
  responsible_code: string | null;
  responsible_name: string | null;
  responsible_open_id: string | null;
  reporter_id: number | null;
  reporter_code: string | null;
  reporter_name: string | null;
  reporter_open_id: string | null;
  sent: string[] | null;
}

interface Loaded {
  row: HazardRow;
  hazard: Hazard;
  sent: Set<string>;
}

const ms = (value: number | string | null): Date | null => (value === null ? null : new Date(Number(value)));

/** Hazards by id with the domain view and the step keys already sent, in one query. */
async function loadHazards(db: Db, ids: number[]): Promise<Loaded[]> {
  // Two planner traps turn a big sweep quadratic: postgres.js prepares statements, and after five runs PostgreSQL
  // may switch to a generic plan that cannot see how short the id array is (a scan of all hazards per batch); and
  // reminder_steps grows by a row per step faster than autovacuum re-analyses it, so with an empty table's
  // statistics it is scanned once per hazard. Every lookup here is by key: plan each batch for its own ids. And the
  // pessimistic estimates of the step subquery push the cost past jit_above_cost: compiling takes longer than the
  // query (tens to hundreds of ms a batch), so JIT is off too.
  await db.execute(sql`set local plan_cache_mode = force_custom_plan`);
  await db.execute(sql`set local enable_seqscan = off`);
  await db.execute(sql`set local jit = off`);
  const rows = rowsOf<HazardRow>(
    await db.execute(sql`
      select h.id, h.code, h.enterprise_id, h.region_id, h.department_id, h.grade, h.status, h.description,
        to_char(h.deadline, 'YYYY-MM-DD') as deadline,
        (extract(epoch from h.deadline_set_at) * 1000)::float8 as deadline_set_at,
        (extract(epoch from h.reported_at) * 1000)::float8 as reported_at,
        (extract(epoch from h.assigned_at) * 1000)::float8 as assigned_at,
        (extract(epoch from h.acknowledged_at) * 1000)::float8 as acknowledged_at,
        h.supervision, e.code as enterprise_code, e.name as enterprise_name,
        rp.id as responsible_id, rp.code as responsible_code, rp.name as responsible_name,
        rp.open_id as responsible_open_id,
        rep.id as reporter_id, rep.code as reporter_code, rep.name as reporter_name, rep.open_id as reporter_open_id,
        (select array_agg(rs.step_key) from reminder_steps rs where rs.hazard_id = h.id) as sent
      from hazards h
      join enterprises e on e.id = h.enterprise_id
      left join people rp on rp.id = h.responsible_id and rp.active
      left join people rep on rep.id = h.reporter_id
      where h.id = any(${intArray(ids)}::int[])`),
  );
  return rows.map((row) => {
    row.id = Number(row.id);
    row.enterprise_id = Number(row.enterprise_id);
    row.region_id = Number(row.region_id);
    row.department_id = row.department_id === null ? null : Number(row.department_id);
    const hazard: Hazard = {
      enterpriseCode: row.enterprise_code,
      regionPath: [],
      departmentCode: null,
      principal: null,
      safetyOfficer: null,
      reporter: row.reporter_code ?? '',
      responsible: row.responsible_code,
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
  });
}

function recipientsOf(step: DueStep, loaded: Loaded, unit: UnitResponsibility | undefined) {
  const people: { person: Person; role: Recipient }[] = [];
  const add = (role: Recipient, list: (Person | null)[]) => {
    for (const person of list) if (person) people.push({ person, role });
  };
  const row = loaded.row;
  for (const who of step.who) {
    switch (who) {
      case 'responsible':
        add(who, [
          row.responsible_id === null
            ? null
            : {
                id: row.responsible_id,
                code: row.responsible_code!,
                name: row.responsible_name!,
                openId: row.responsible_open_id,
              },
        ]);
        break;
      case 'reporter':
        add(who, [
          row.reporter_id === null
            ? null
            : { id: row.reporter_id, code: row.reporter_code!, name: row.reporter_name!, openId: row.reporter_open_id },
        ]);
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
  messages: OutgoingMessage[];
  unreachable: number;
}

function planStep(
  loaded: Loaded,
  due: DueStep,
  unit: UnitResponsibility | undefined,
  at: Date,
  calendar: Calendar,
): PlannedStep {
  const recipients = recipientsOf(due, loaded, unit);
  const reachable = recipients.filter((r) => r.person.openId);
  const urgent = due.channel === 'urgent';
  const mentions = due.channel !== 'card' && unit?.chatId && reachable.length > 0 ? unit.chatId : null;
  const row = loaded.row;
  const overdueMs = at.getTime() - calendar.deadlineInstant(row.deadline).getTime();
  const today = calendar.localDate(at);
  const card: ReminderCardInput = {
    hazardCode: row.code,
    enterpriseName: row.enterprise_name,
    description: row.description,
    deadline: row.deadline,
    gradeLabel: GRADE_LABELS[loaded.hazard.grade] ?? row.grade,
    overdueDays: overdueMs >= 0 ? Math.floor(overdueMs / 86_400_000) : null,
    daysLeft: overdueMs < 0 ? Math.round((Date.parse(row.deadline) - Date.parse(today)) / 86_400_000) : null,
    stepLabel: due.step.label ?? due.stepId,
    channel: due.channel,
    raisesSupervision: due.effects.some((e) => e.type === 'raise_supervision' && e.level === 'county'),
    responsibleName: row.responsible_name,
    notified: recipients.map((r) => `${r.person.name}（${ROLE_LABELS[r.role]}）`),
  };
  const content = buildReminderCard(card);
  const topic = `reminder:${row.code}:${due.key}`;
  const messages: OutgoingMessage[] = reachable.map(({ person }) => ({
    to: { openId: person.openId! },
    msgType: 'interactive',
    content,
    ...(urgent ? { urgentOpenIds: [person.openId!] } : {}),
    topic,
  }));
  if (mentions) {
    messages.push({
      to: { chatId: mentions },
      msgType: 'interactive',
      content: buildReminderCard({ ...card, mentionOpenIds: reachable.map((r) => r.person.openId!) }),
      topic,
    });
  }
  return {
    loaded,
    due,
    messages,
    unreachable: recipients.length - reachable.length,
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

/** Steps whose effect would change the hazard (e.g. raise supervision that is still lower). */
function effectsToApply(loaded: Loaded, due: DueStep): { level: 'township' | 'county' }[] {
  return due.effects.filter(
    (e) => e.type === 'raise_supervision' && compareSupervision(loaded.hazard.supervision, e.level) < 0,
  );
}

/**
 * The same rows as `enqueueMessages` (feishu/outbox.ts) writes, in one statement with one JSON parameter: with
 * hundreds of thousands of cards per sweep, binding seven parameters per row was most of the sweep's time.
 */
async function insertOutboxRows(tx: Db, messages: OutgoingMessage[]): Promise<void> {
  const rows = messages.map((m) => {
    const to = m.to as { openId?: string; chatId?: string; email?: string };
    return {
      t: to.openId ? 'open_id' : to.chatId ? 'chat_id' : 'email',
      r: to.openId ?? to.chatId ?? to.email,
      m: m.msgType,
      c: m.content,
      u: m.urgentOpenIds?.length ? m.urgentOpenIds : null,
      p: m.topic ?? null,
    };
  });
  await tx.execute(sql`
    insert into outbox (kind, receive_id_type, target, msg_type, content, urgent_open_ids, topic)
    select 'send', x.t, x.r, x.m, x.c, x.u, x.p
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(t text, r text, m text, c jsonb, u text[], p text)`);
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
    const cache = new ResponsibilityCache();
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
    const record = (planned: PlannedStep[], escalations: number, hazards: number, batchMs: number) => {
      result.batches += 1;
      result.slowestBatchMs = Math.max(result.slowestBatchMs, batchMs);
      result.counts.hazards += hazards;
      result.counts.escalations += escalations;
      for (const p of planned) {
        result.counts.steps += 1;
        result.counts.messages += p.messages.length;
        result.counts.urgent += p.messages.filter((m) => m.urgentOpenIds?.length).length;
        result.counts.unreachable += p.unreachable;
        if (result.steps.length < maxListed) result.steps.push(p.swept);
        else result.truncated = true;
      }
      if (!dryRun) this.deps.onStepsSent?.(planned.map((p) => p.swept));
    };

    if (dryRun) {
      let after = 0;
      for (;;) {
        const t0 = performance.now();
        const ids = rowsOf<{ hazard_id: number }>(
          await this.deps.db.execute(sql`
            select hazard_id from hazard_schedules where next_due_at <= ${at.toISOString()}::timestamptz
            and hazard_id > ${after} order by hazard_id limit ${batchSize}`),
        ).map((r) => Number(r.hazard_id));
        if (ids.length === 0) break;
        after = ids[ids.length - 1]!;
        const { planned } = await this.plan(this.deps.db, ids, at, cache);
        record(
          planned,
          planned.reduce((n, p) => n + effectsToApply(p.loaded, p.due).length, 0),
          ids.length,
          performance.now() - t0,
        );
      }
    } else {
      const concurrency = this.deps.kind === 'postgres' ? Math.max(1, options.concurrency ?? 2) : 1;
      let batches = 0;
      let done = false;
      const loop = async () => {
        while (!done) {
          if (options.failAfterBatches !== undefined && batches >= options.failAfterBatches) {
            throw new Error(`sweep interrupted after ${batches} batches (fault injection)`);
          }
          const t0 = performance.now();
          const outcome = await this.deps.db.transaction((tx) => this.sweepBatch(tx, at, batchSize, cache));
          if (outcome.claimed === 0) {
            done = true;
            break;
          }
          batches += 1;
          record(outcome.planned, outcome.escalations, outcome.claimed, performance.now() - t0);
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
      const outcomes = await Promise.allSettled(Array.from({ length: concurrency }, stopOthersOnFailure));
      done = true;
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
    }
    result.durationMs = Math.round(performance.now() - started);
    result.slowestBatchMs = Math.round(result.slowestBatchMs * 10) / 10;
    return result;
  }

  /** Due steps and their messages for these hazards (no writes). */
  private async plan(db: Db, ids: number[], at: Date, cache: ResponsibilityCache) {
    const { policy, calendar } = this.deps;
    let t = performance.now();
    const loaded = await loadHazards(db, ids);
    t = this.lap('load', t);
    const withSteps = loaded.map((l) => ({
      l,
      due: dueSteps(l.hazard, policy, at, calendar, { alreadySent: l.sent }),
    }));
    t = this.lap('dueSteps', t);
    const needUnits = withSteps.filter((x) => x.due.length > 0).map((x) => x.l.row);
    await cache.load(
      db,
      needUnits.map((r) => ({ enterpriseId: r.enterprise_id, regionId: r.region_id, departmentId: r.department_id })),
    );
    t = this.lap('recipients', t);
    const planned: PlannedStep[] = [];
    for (const { l, due } of withSteps) {
      const unit = cache.get({
        enterpriseId: l.row.enterprise_id,
        regionId: l.row.region_id,
        departmentId: l.row.department_id,
      });
      for (const step of due) planned.push(planStep(l, step, unit, at, calendar));
    }
    this.lap('cards', t);
    return { loaded, withSteps, planned };
  }

  private async sweepBatch(tx: Db, at: Date, batchSize: number, cache: ResponsibilityCache) {
    const { policy, calendar } = this.deps;
    const atIso = at.toISOString();
    let t = performance.now();
    const ids = rowsOf<{ hazard_id: number }>(
      await tx.execute(sql`
        select hazard_id from hazard_schedules where next_due_at <= ${atIso}::timestamptz
        order by next_due_at limit ${batchSize} for update skip locked`),
    ).map((r) => Number(r.hazard_id));
    t = this.lap('claim', t);
    if (ids.length === 0) return { claimed: 0, planned: [] as PlannedStep[], escalations: 0 };
    const { loaded, withSteps, planned: allPlanned } = await this.plan(tx, ids, at, cache);
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

    // The once-only guarantee: only steps whose row is new here are sent.
    let fresh: PlannedStep[] = [];
    if (planned.length > 0) {
      const claimed = rowsOf<{ hazard_id: number; step_key: string }>(
        await tx.execute(sql`
          insert into reminder_steps (hazard_id, step_key, sent_at)
          select x.h, x.k, ${atIso}::timestamptz
          from jsonb_to_recordset(${JSON.stringify(planned.map((p) => ({ h: p.loaded.row.id, k: p.due.key })))}::jsonb)
            as x(h int, k text)
          on conflict (hazard_id, step_key) do nothing
          returning hazard_id, step_key`),
      );
      const isNew = new Set(claimed.map((c) => `${Number(c.hazard_id)}\u0000${c.step_key}`));
      fresh = planned.filter((p) => isNew.has(`${p.loaded.row.id}\u0000${p.due.key}`));
    }

    t = this.lap('insertSteps', t);
    // Side effects of the newly claimed steps: raise supervision, with an audit row.
    let escalations = 0;
    const raises = new Map<number, { level: 'township' | 'county'; key: string; label: string }>();
    for (const p of fresh) {
      for (const effect of effectsToApply(p.loaded, p.due)) {
        const current = raises.get(p.loaded.row.id);
        if (!current || compareSupervision(current.level, effect.level) < 0) {
          raises.set(p.loaded.row.id, { level: effect.level, key: p.due.key, label: p.swept.label });
        }
      }
    }
    if (raises.size > 0) {
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
      escalations = changed.length;
    }

    t = this.lap('effects', t);
    const messages = fresh.flatMap((p) => p.messages);
    if (messages.length > 0) await insertOutboxRows(tx, messages);
    t = this.lap('outbox', t);

    // Next due instant per hazard, counting what was just sent; deferred ones come back shortly.
    const sentNow = new Map<number, Set<string>>();
    for (const p of planned) {
      const set = sentNow.get(p.loaded.row.id) ?? new Set(p.loaded.sent);
      set.add(p.due.key);
      sentNow.set(p.loaded.row.id, set);
    }
    const retryAt = new Date(at.getTime() + LOCKED_RETRY_MS).toISOString();
    const schedule = withSteps.map(({ l }) => {
      if (deferred.has(l.row.id)) return { h: l.row.id, n: retryAt };
      const next = nextDueAt(l.hazard, policy, calendar, at, sentNow.get(l.row.id) ?? l.sent);
      return { h: l.row.id, n: next ? next.toISOString() : null };
    });
    // Rows whose hazard vanished are parked (null) rather than claimed forever.
    const seen = new Set(loaded.map((l) => l.row.id));
    for (const id of ids) if (!seen.has(id)) schedule.push({ h: id, n: null });
    await tx.execute(sql`
      update hazard_schedules s set next_due_at = x.n, evaluated_at = ${atIso}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(schedule)}::jsonb) as x(h int, n timestamptz)
      where s.hazard_id = x.h`);
    this.lap('schedule', t);
    return { claimed: ids.length, planned: fresh, escalations };
  }
}
