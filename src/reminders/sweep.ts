/**
 * The reminder and escalation sweep (督办提醒与升级): sends every step of the escalation policy that has come due, once.
 *
 * It never evaluates every open hazard, and it writes nothing per hazard but the steps it sends. Where it has got
 * to is one row (`reminder_sweep_state`): the transaction horizon below which every changed hazard was evaluated,
 * and, per step, the instant up to which its occurrences were sent. A sweep at `at` reads two kinds of source, each
 * an index range of `hazards` read in windows:
 *   - the hazards changed since the horizon (`hazards.changed_xid`: a new hazard, a new deadline, a regression to
 *     rectifying…), each evaluated as it stands;
 *   - per step and grade, the hazards whose occurrence is scheduled in the time that passed since the step's instant
 *     (`stepAnchorRange`: a range of deadlines, assignment or report instants), leaving out those the first
 *     source covers.
 * A window (with the step keys already sent) is regrouped by unit and cut into batches → `evaluateSteps` → resolve
 * recipients (cached per unit) → one card per person (and township group) for all of their steps in the batch →
 * one statement inserts the `reminder_steps` rows (the unique key is the once-only guarantee) and queues the cards.
 * If another path sent one of the steps meanwhile, its key fails that statement, and the batch is written again in a
 * transaction that sends only the new steps; side effects (county supervision) are applied in that transaction too.
 * The sweep's row moves on only when every batch is written: a replica that dies mid-sweep leaves it where it was,
 * and the next sweep reads the same ranges again, sending only what is missing. Sweeps take the row one at a time.
 *
 * Quiet hours: while they last, a step that may not break them is not read and its instant does not move, nor does
 * the horizon (the changed hazards are evaluated again each sweep until they end), so what they held back is read
 * at their end. Replicas take turns: a sweep waits while another holds the row (see takeState).
 */
import { randomUUID } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
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
  type PolicyStep,
  type Recipient,
  type StepAnchorRange,
  type SupervisionLevel,
  stepAnchorRange,
} from '../domain/index.js';
import { insertOutboxRows, type NewOutboxRow, type OutgoingMessage, sendRow } from '../feishu/outbox.js';
import { buildReminderCard, buildReminderListCard, type ReminderCardInput } from './cards.js';
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
  /** Hazards evaluated (read from the sweep's sources). */
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
  /** Vacuuming after a big sweep (not part of durationMs: the sweep's work was written by then). */
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
/** A sweep that evaluated this many hazards analyzes `reminder_steps` afterwards (see tidy). */
const TIDY_AFTER_HAZARDS = 50_000;

/** The error of a step row whose (hazard, key) is taken: the step was sent already (unique_violation). */
function isStepAlreadySent(error: unknown): boolean {
  for (let e = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const { code, constraint_name: name, constraint } = e as Record<string, unknown>;
    if (code === '23505' && (name ?? constraint) === 'reminder_steps_pkey') return true;
  }
  return false;
}

/** How long a batch waits for a hazard row a user holds before the sweep gives up and retries at its next slot. */
const EFFECT_LOCK_TIMEOUT = '10s';

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

/** Where a source's next batch starts: after this row in the source's order. */
interface Position {
  /** The order key as text (a transaction id, a date or an instant). */
  key: string;
  region: number;
  enterprise: number;
  id: number;
}

/**
 * A source of hazards to evaluate: an index range of `hazards`, read in keyset windows in the index's order — by
 * key, township, unit and id where many hazards share a key (the changed ones, deadlines), by key and id otherwise.
 * Either way a window is regrouped by unit before it is cut into batches (see SourceCursor).
 */
interface Source {
  name: string;
  /** The order key (an indexed column) and its SQL type. */
  key: 'changed_xid' | 'deadline' | 'assigned_at' | 'reported_at';
  keyType: 'xid8' | 'date' | 'timestamptz';
  order: 'unit' | 'key';
  where: SQL;
}

const HAZARD_COLUMNS = sql`h.id, h.code, h.enterprise_id, h.region_id, h.department_id, h.grade, h.status,
  h.description, to_char(h.deadline, 'YYYY-MM-DD') as deadline,
  (extract(epoch from h.deadline_set_at) * 1000)::float8 as deadline_set_at,
  (extract(epoch from h.reported_at) * 1000)::float8 as reported_at,
  (extract(epoch from h.assigned_at) * 1000)::float8 as assigned_at,
  (extract(epoch from h.acknowledged_at) * 1000)::float8 as acknowledged_at,
  h.supervision, h.responsible_id, h.reporter_id,
  array(select r.step_key from reminder_steps r where r.hazard_id = h.id) as sent`;

/**
 * The next `limit` hazards of `source` after `after`, in the source's order, with the step keys already sent, and
 * where the next window starts. A window holds many batches; the cursor regroups it by unit before cutting it into
 * batches, since the source's own order (a transaction id, an instant) need not keep a unit's hazards together.
 */
async function readWindow(db: Db, source: Source, after: Position | null, limit: number) {
  const type = sql.raw(source.keyType);
  const key = sql.raw(`h.${source.key}`);
  const unit = source.order === 'unit';
  const from = !after
    ? sql``
    : unit
      ? sql`and (${key}, h.region_id, h.enterprise_id, h.id)
          > (${after.key}::${type}, ${after.region}, ${after.enterprise}, ${after.id})`
      : sql`and (${key}, h.id) > (${after.key}::${type}, ${after.id})`;
  const order = unit ? sql`${key}, h.region_id, h.enterprise_id, h.id` : sql`${key}, h.id`;
  // The limit is our own integer, inlined so that the plan is the same every window (an index range scan).
  const rows = rowsOf<HazardRow & { k: string }>(
    await db.execute(sql`select ${HAZARD_COLUMNS}, ${key}::text as k from hazards h
      where ${source.where} ${from} order by ${order} limit ${sql.raw(String(Math.trunc(limit)))}`),
  );
  const end = rows.at(-1);
  const loaded = rows.map(toLoaded);
  const last = end ? { key: end.k, region: end.region_id, enterprise: end.enterprise_id, id: end.id } : null;
  return { loaded, last };
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

/** The sweep's row, and the transaction horizon now: what committed below it is visible to every later read. */
interface SweepState {
  changedSince: string;
  steps: Record<string, string>;
  horizon: string;
}

const STATE_COLUMNS = sql`changed_since::text as changed_since, steps_swept_until as steps,
  pg_snapshot_xmin(pg_current_snapshot())::text as horizon`;

function toState(row: { changed_since: string | null; steps: Record<string, string> | null; horizon: string }) {
  return { changedSince: row.changed_since ?? '0', steps: row.steps ?? {}, horizon: String(row.horizon) };
}

/** A dry run reads the sweep's row without taking it. */
async function readState(db: Db): Promise<SweepState> {
  const row = rowsOf<{ changed_since: string | null; steps: Record<string, string> | null; horizon: string }>(
    await db.execute(sql`select ${STATE_COLUMNS} from (select 1) one left join reminder_sweep_state s on s.id = 1`),
  )[0]!;
  return toState(row);
}

/** How long a sweep holds the sweep's row without renewing it; a sweep waiting for it looks again this often. */
const SWEEP_LEASE_SECONDS = 15;
const SWEEP_WAIT_MS = 200;
/** A sweep renews its lease after a batch when this long has passed since it last did. */
const RENEW_AFTER_MS = 5_000;

/**
 * The sweep's row, taken for one sweep: sweeps run one at a time. Two at once would read the same ranges and race
 * each other to every step (each would send what it won, in more, smaller cards); the second now waits, then
 * finds little left. The lease is in database time and runs out if its sweep dies, so a takeover waits at most
 * that long. Taking the row reads it, with the horizon (a transaction of ours in progress only lowers it).
 */
async function takeState(db: Db, owner: string, whileWaiting: () => Promise<void>): Promise<SweepState> {
  for (;;) {
    const row = rowsOf<{ changed_since: string | null; steps: Record<string, string> | null; horizon: string }>(
      await db.execute(sql`
        insert into reminder_sweep_state as s (id, changed_since, swept_at, running_owner, running_until)
        values (1, '0', now(), ${owner}, now() + ${sql.raw(`interval '${SWEEP_LEASE_SECONDS} seconds'`)})
        on conflict (id) do update
          set running_owner = excluded.running_owner, running_until = excluded.running_until
          where s.running_until is null or s.running_until < now()
        returning ${STATE_COLUMNS}`),
    )[0];
    if (row) return toState(row);
    await whileWaiting();
    await new Promise((resolve) => setTimeout(resolve, SWEEP_WAIT_MS));
  }
}

async function renewState(db: Db, owner: string): Promise<void> {
  await db.execute(sql`update reminder_sweep_state
    set running_until = now() + ${sql.raw(`interval '${SWEEP_LEASE_SECONDS} seconds'`)}
    where id = 1 and running_owner = ${owner}`);
}

/** Gives the row back: moved on to where the sweep ended when it finished, as it was when it failed. */
async function releaseState(
  db: Db,
  owner: string,
  done: { state: { changedSince: string; steps: Record<string, string> }; at: Date } | null,
) {
  const progress = done
    ? sql`changed_since = ${done.state.changedSince}::xid8,
        steps_swept_until = ${JSON.stringify(done.state.steps)}::jsonb, swept_at = ${done.at.toISOString()}::timestamptz,`
    : sql``;
  await db.execute(sql`update reminder_sweep_state set ${progress} running_owner = null, running_until = null
    where id = 1 and running_owner = ${owner}`);
}

/**
 * What a sweep at `at` reads, and where it leaves the sweep's row once done. Every step's instant moves to `at`
 * (back too, if `at` is earlier: the next sweep then reads that stretch again, which sends nothing twice), except
 * in quiet hours for steps that may not break them; the horizon moves to the one read at the start, except in quiet
 * hours (see the header).
 */
function planSources(policy: EscalationPolicy, calendar: Calendar, state: SweepState, at: Date) {
  const quiet = calendar.isQuietHour(at);
  const since = state.changedSince;
  const sources: Source[] = [
    {
      name: 'changed',
      key: 'changed_xid',
      keyType: 'xid8',
      order: 'unit',
      where: sql`h.status <> 'closed' and h.changed_xid >= ${since}::xid8`,
    },
  ];
  const steps: Record<string, string> = {};
  for (const step of policy.steps) {
    const was = state.steps[step.id];
    if (quiet && !step.breaksQuietHours) {
      if (was) steps[step.id] = was;
      continue;
    }
    steps[step.id] = at.toISOString();
    // From horizon 0 (a new database, new settings) every open hazard is read as changed: no range to add.
    if (since === '0') continue;
    const range = stepAnchorRange(step, calendar, was ? new Date(was) : null, at);
    if (range) sources.push(...stepSources(step, range, since));
  }
  return { sources, next: { changedSince: quiet ? since : state.horizon, steps } };
}

/**
 * The hazards of `range` that the changed source does not cover, one source per grade the step applies to (each an
 * index range led by the grade: a step for major hazards reads only those), narrowed by what the step asks of them.
 */
function stepSources(step: PolicyStep, range: StepAnchorRange, since: string): Source[] {
  const unchanged = sql` and h.changed_xid < ${since}::xid8`;
  return step.grades.map((grade): Source => {
    if (range.anchor === 'deadline') {
      const from = range.from ? sql` and h.deadline >= ${range.from}::date` : sql``;
      return {
        name: `${step.id}:${grade}`,
        key: 'deadline',
        keyType: 'date',
        order: 'unit',
        where: sql`h.status in ('reported', 'rectifying') and h.grade = ${grade}${from}
          and h.deadline <= ${range.to}::date${unchanged}`,
      };
    }
    const column = sql.raw(`h.${range.anchor}`);
    // The partial indexes' own conditions (schema/hazards.ts), so that the planner uses them.
    const status = range.anchor === 'assigned_at' ? sql`h.status = 'rectifying'` : sql`h.status <> 'closed'`;
    const after = range.after ? sql` and ${column} > ${range.after.toISOString()}::timestamptz` : sql``;
    const unacknowledged =
      'unless' in step.when && step.when.unless === 'acknowledged' ? sql` and h.acknowledged_at is null` : sql``;
    return {
      name: `${step.id}:${grade}`,
      key: range.anchor,
      keyType: 'timestamptz',
      order: 'key',
      where: sql`${status} and h.grade = ${grade}${after}
        and ${column} <= ${range.upTo.toISOString()}::timestamptz${unacknowledged}${unchanged}`,
    };
  });
}

/**
 * The planner settings of the sweep's transactions. Their statements have the same shape every time (inlined
 * limits, one JSON parameter per write), so one plan per connection serves every batch; connections otherwise plan
 * each execution (see db/client.ts). Every read is by key and in index order: `reminder_steps` grows by a row per
 * step faster than autovacuum re-analyses it, so a plan made while it looked empty would scan it whole once per
 * hazard; and a generic plan misjudges how many hazards a range holds, so it would read a source by another index
 * and sort all of the range for each window.
 */
async function usePlannerSettings(tx: Db, kind: SweepDeps['kind']): Promise<void> {
  const postgresOnly = sql`, set_config('plan_cache_mode', 'force_generic_plan', true), set_config('jit', 'off', true)`;
  await tx.execute(sql`select set_config('enable_seqscan', 'off', true), set_config('enable_sort', 'off', true),
    set_config('enable_incremental_sort', 'off', true)${kind === 'postgres' ? postgresOnly : sql``}`);
}

/** Batches per window a source is read in (see readWindow). */
const WINDOW_BATCHES = 10;

const byUnit = (a: Loaded, b: Loaded) =>
  a.row.region_id - b.row.region_id || a.row.enterprise_id - b.row.enterprise_id || a.row.id - b.row.id;

/**
 * The sweep's sources read window after window, cut into batches, shared by the sweep's loops: each batch goes to
 * one loop, so the loops split the work and never share a hazard. The next window is read ahead, while the loops
 * work on the current one. A window is read in its own transaction, outside the batches': a hazard that changes
 * meanwhile is read again by the next sweep (its change moves it past the horizon), as one changing between a read
 * and a write in one transaction would be.
 */
class SourceCursor {
  private index = 0;
  private after: Position | null = null;
  private pending: Loaded[][] = [];
  private reading: Promise<void> | null = null;
  private failure: unknown = null;
  private chain: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly db: Db,
    private readonly kind: SweepDeps['kind'],
    private readonly sources: Source[],
  ) {}

  /** The next batch; empty once every source is read. */
  next(limit: number): Promise<Loaded[]> {
    const read = this.chain.then(() => this.read(limit));
    this.chain = read.catch(() => undefined);
    return read;
  }

  private async read(limit: number): Promise<Loaded[]> {
    for (;;) {
      if (this.failure) throw this.failure;
      const batch = this.pending.shift();
      if (batch) {
        // The next window is read while the loops work on this one.
        this.readAhead(limit);
        return batch;
      }
      if (this.index >= this.sources.length && !this.reading) return [];
      this.readAhead(limit);
      await this.reading;
    }
  }

  /** Starts reading the next window, unless one is being read or every source is read. */
  private readAhead(limit: number): void {
    if (this.reading || this.index >= this.sources.length) return;
    this.reading = this.readWindow(limit)
      .catch((error) => {
        this.failure = error;
      })
      .finally(() => {
        this.reading = null;
      });
  }

  /** The next window with hazards in it (sources that have none left are passed), cut into batches. */
  private async readWindow(limit: number): Promise<void> {
    const size = limit * WINDOW_BATCHES;
    while (this.index < this.sources.length) {
      const source = this.sources[this.index]!;
      const after = this.after;
      const { loaded, last } = await this.db.transaction(async (tx) => {
        await usePlannerSettings(tx, this.kind);
        return readWindow(tx, source, after, size);
      });
      if (loaded.length < size) {
        this.index += 1;
        this.after = null;
      } else {
        this.after = last;
      }
      if (loaded.length === 0) continue;
      loaded.sort(byUnit);
      for (let i = 0; i < loaded.length; i += limit) this.pending.push(loaded.slice(i, i + limit));
      return;
    }
  }
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
  card: Omit<ReminderCardInput, 'notified'>;
  /** Who is told, by role: named on the step's own card (a list card does not name them). */
  recipients: { person: Person; role: Recipient }[];
  /** open_ids told directly (the reachable recipients). */
  openIds: string[];
  unreachable: number;
}

/** What a committed (or, in a dry run, computed) batch adds to the sweep's answer. */
interface RecordedBatch {
  planned: PlannedStep[];
  messages: OutgoingMessage[];
  escalations: number;
  hazards: number;
  ms: number;
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
    recipients,
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
 * urgent. A batch holds the hazards of few units (windows are regrouped by unit), so this is what keeps a backlog
 * from becoming a flood.
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
    if (list.length === 1) {
      const [step] = list as [PlannedStep];
      const notified = step.recipients.map((r) => `${r.person.name}（${ROLE_LABELS[r.role]}）`);
      return buildReminderCard({ ...step.card, notified, ...(mentionOpenIds ? { mentionOpenIds } : {}) });
    }
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

/**
 * The step rows of `steps`, each naming the messages that carry it, grouped by (step key, messages): a batch's
 * steps share a few keys and messages, and a million-step sweep sent 100 bytes of JSON per step row otherwise.
 * Written with `stepRowsFrom`.
 */
function stepRows(steps: PlannedStep[], composed: ComposedMessage[]) {
  const carriers = new Map<PlannedStep, string[]>();
  for (const { id, steps: carried } of composed) {
    for (const step of carried) {
      const ids = carriers.get(step);
      if (ids) ids.push(id);
      else carriers.set(step, [id]);
    }
  }
  const groups = new Map<string, { k: string; o: string[]; h: number[] }>();
  for (const p of steps) {
    const o = carriers.get(p) ?? [];
    const group = `${p.due.key} ${o.join(',')}`;
    const found = groups.get(group);
    if (found) found.h.push(p.loaded.row.id);
    else groups.set(group, { k: p.due.key, o, h: [p.loaded.row.id] });
  }
  return JSON.stringify([...groups.values()]);
}

/**
 * The rows of a `stepRows` parameter as (hazard_id, step_key, outbox_ids), in (hazard, key) order: concurrent
 * writers then take the step rows in the same order and never wait on each other in a circle.
 */
const stepRowsFrom = (json: string) => sql`(
  select hid as hazard_id, x.k as step_key, x.o as outbox_ids
  from jsonb_to_recordset(${json}::jsonb) as x(h int[], k text, o uuid[]), unnest(x.h) as hid
  order by hid, x.k)`;

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
    const record = (batch: RecordedBatch) => {
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
        const loaded = await cursor.next(batchSize);
        if (loaded.length === 0) break;
        const { planned } = await this.plan(this.deps.db, loaded, at, caches);
        record({
          planned,
          messages: composeMessages(planned, at.toISOString()).map((c) => c.message),
          escalations: planned.reduce((n, p) => n + effectsToApply(p.loaded, p.due).length, 0),
          hazards: loaded.length,
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
    const cursor = new SourceCursor(this.deps.db, this.deps.kind, sources);
    let renewed = performance.now();
    const concurrency = this.deps.kind === 'postgres' ? Math.max(1, options.concurrency ?? 2) : 1;
    // Nothing to read (most sweeps): one look at the sources' index ranges, no batches. More than one
    // batch: a big sweep (a catch-up after downtime, a new policy), which reads the units and people of
    // everything to read once, before its first batch: otherwise its first batches would each wait for their own
    // lookups.
    const due = await this.countToRead(sources, batchSize + 1);
    const big = due > batchSize;
    if (big) {
      const prefetchStarted = performance.now();
      await Promise.all([
        dueUnits(
          this.deps.db,
          sources.map((source) => source.where),
        ).then((units) => caches.units.load(this.deps.db, units)),
        caches.people.prefetch(this.deps.db),
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
        const loaded = await cursor.next(size);
        this.lap('read', t0);
        size = batchSize;
        if (loaded.length === 0) {
          done = true;
          break;
        }
        const outcome = await this.sweepBatch(at, loaded, caches, options);
        batches += 1;
        record({ ...outcome, hazards: outcome.read, ms: performance.now() - t0 });
        if (performance.now() - renewed > RENEW_AFTER_MS) {
          renewed = performance.now();
          await renewState(this.deps.db, owner);
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

  /** How many hazards the sources hold, counting no further than `limit` in each (index range looks). */
  private async countToRead(sources: Source[], limit: number): Promise<number> {
    const counts = sources.map(
      (source) =>
        sql`(select count(*) from (select 1 from hazards h where ${source.where}
          limit ${sql.raw(String(Math.trunc(limit)))}) x)`,
    );
    const rows = rowsOf<{ n: number }>(
      await this.deps.db.execute(sql`select (${sql.join(counts, sql` + `)})::int as n`),
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * After a big sweep (a catch-up after downtime, a new policy) `reminder_steps` has grown by as many rows as it
   * sent; analyze it now rather than wait for autovacuum, so that the planner sees its size.
   */
  private async tidy(): Promise<void> {
    await this.deps.db.execute(sql`vacuum (analyze) reminder_steps`);
  }

  /** Due steps and their messages for these hazards (no writes). */
  private async plan(db: Db, loaded: Loaded[], at: Date, caches: SweepCaches) {
    const { policy, calendar } = this.deps;
    let t = performance.now();
    const withSteps = loaded.map((l) => ({ l, due: evaluateSteps(l.hazard, policy, at, calendar, l.sent).due }));
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
    return { planned };
  }

  /**
   * One batch: its steps worked out, then written. Most batches are one statement, with no transaction around it:
   * the step rows (inserted in (hazard, key) order) and the cards, which were composed assuming every step is new
   * — as it is unless another path sent one since the window was read. If one was, its step row's key makes the
   * statement fail as a whole (nothing of it is kept), and the batch is written again in a transaction that sends
   * only the new steps. A batch whose steps change hazards (effects) takes the transaction at once.
   */
  private async sweepBatch(at: Date, loaded: Loaded[], caches: SweepCaches, options: SweepOptions) {
    const atIso = at.toISOString();
    const { planned } = await this.plan(this.deps.db, loaded, at, caches);
    await options.beforeWrite?.();
    let t = performance.now();
    const composed = composeMessages(planned, atIso);
    t = this.lap('cards', t);
    const changesHazards = planned.some((p) => effectsToApply(p.loaded, p.due).length > 0);
    if (!changesHazards && (await this.writeAllNew(planned, composed, atIso))) {
      this.lap('write', t);
      return { read: loaded.length, planned, messages: composed.map((c) => c.message), escalations: 0 };
    }
    const outcome = await this.deps.db.transaction((tx) => this.writeBatch(tx, planned, atIso));
    this.lap('write', t);
    return { read: loaded.length, ...outcome };
  }

  /** The batch in one statement, if every step in it is new; false (having written nothing) if one is not. */
  private async writeAllNew(planned: PlannedStep[], composed: ComposedMessage[], atIso: string): Promise<boolean> {
    try {
      await this.deps.db.execute(sql`
        with steps as (
          insert into reminder_steps (hazard_id, step_key, sent_at, outbox_ids)
          select x.hazard_id, x.step_key, ${atIso}::timestamptz, x.outbox_ids
          from ${stepRowsFrom(stepRows(planned, composed))} x),
        messages as (${insertOutboxRows(outboxRows(composed))})
        select 1`);
      return true;
    } catch (error) {
      if (isStepAlreadySent(error)) return false;
      throw error;
    }
  }

  /** The batch in a transaction: only its new steps are sent, and their effects applied. */
  private async writeBatch(tx: Db, planned: PlannedStep[], atIso: string) {
    // Effects change the hazard row: take those rows first, in id order, so that the sweep's loops never wait on
    // each other in a circle; a user's transaction holding one makes the batch wait, not fail, up to a limit.
    const toLock = [
      ...new Set(planned.filter((p) => effectsToApply(p.loaded, p.due).length > 0).map((p) => p.loaded.row.id)),
    ].sort((a, b) => a - b);
    if (toLock.length > 0) {
      await tx.execute(sql`set local lock_timeout = ${sql.raw(`'${EFFECT_LOCK_TIMEOUT}'`)}`);
      await tx.execute(sql`select id from hazards where id = any(${intArray(toLock)}::int[]) order by id for update`);
    }
    // The step rows are the once-only guarantee: ON CONFLICT DO NOTHING leaves out a step sent before; the cards
    // are composed for the steps that are new.
    const written = rowsOf<{ hazard_id: number; step_key: string }>(
      await tx.execute(sql`
        insert into reminder_steps (hazard_id, step_key, sent_at)
        select x.hazard_id, x.step_key, ${atIso}::timestamptz from ${stepRowsFrom(stepRows(planned, []))} x
        on conflict (hazard_id, step_key) do nothing
        returning hazard_id, step_key`),
    );
    const isNew = new Set(written.map((c) => `${Number(c.hazard_id)}\u0000${c.step_key}`));
    const fresh = planned.filter((p) => isNew.has(`${p.loaded.row.id}\u0000${p.due.key}`));
    const composed = composeMessages(fresh, atIso);
    if (composed.length > 0) {
      await tx.execute(sql`
        with carriers as (
          update reminder_steps rs set outbox_ids = x.outbox_ids
          from ${stepRowsFrom(stepRows(fresh, composed))} x
          where rs.hazard_id = x.hazard_id and rs.step_key = x.step_key)
        ${insertOutboxRows(outboxRows(composed))}`);
    }
    const escalations = await this.applyEffects(tx, fresh, atIso);
    return { planned: fresh, messages: composed.map((c) => c.message), escalations };
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
