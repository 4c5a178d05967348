/**
 * What a sweep reads: index ranges of `hazards`, planned from the sweep's row and read in keyset windows.
 *
 * Two kinds of source:
 *   - the hazards changed since the horizon (`hazards.changed_xid`: a new hazard, a new deadline, a regression to
 *     rectifying…), each evaluated as it stands;
 *   - per step and grade, the hazards whose occurrence is scheduled in the time that passed since the step's instant
 *     (`stepAnchorRange`: a range of deadlines, assignment, report or submitted-rectification instants, or of the
 *     due dates of running hazard clocks, read from `hazard_clocks` by its open-clock index), leaving out those the
 *     first source covers.
 * A window is regrouped by unit before it is cut into batches, so that a person's steps meet in one batch (and one
 * card). Every statement here is plain SQL text, so that its plan can be reviewed against the indexes of
 * schema/hazards.ts.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import {
  type Calendar,
  type EscalationPolicy,
  HAZARD_CLOCK_KINDS,
  type HazardClockKind,
  type HazardGrade,
  type HazardStatus,
  type PolicyStep,
  type StepAnchorRange,
  type StepSubject,
  type SupervisionLevel,
  stepAnchorRange,
} from '../../domain/index.js';
import type { NextState, SweepState } from './lease.js';

/**
 * A hazard as the sweep reads it: what the policy asks of it (`StepSubject`), what its cards say, the ids that find
 * its unit and people, and the step keys already sent.
 */
export interface ScheduledHazard extends StepSubject {
  id: number;
  code: string;
  enterpriseId: number;
  regionId: number;
  departmentId: number | null;
  description: string;
  supervision: SupervisionLevel;
  responsibleId: number | null;
  reporterId: number | null;
  sent: ReadonlySet<string>;
}

export type DatabaseKind = 'postgres' | 'pglite';

interface ScheduledRow {
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
  rectified_at: number | null;
  supervision: string;
  responsible_id: number | null;
  reporter_id: number | null;
  sent: string[] | null;
  /** The running clocks: `kind|started ms|due` each. */
  clocks: string[] | null;
}

/**
 * The grades whose hazards can run a clock (domain/hazard-clocks.ts): only their rows look up `hazard_clocks`, so a
 * sweep over a million general hazards pays no per-row probe for the few major ones that have clocks.
 */
const CLOCK_GRADES = [...new Set(Object.values(HAZARD_CLOCK_KINDS).flatMap((kind) => kind.grades))];
const CLOCK_GRADES_SQL = sql.raw(CLOCK_GRADES.map((grade) => `'${grade}'`).join(', ') || "''");

const SCHEDULED_COLUMNS = sql`h.id, h.code, h.enterprise_id, h.region_id, h.department_id, h.grade, h.status,
  h.description, to_char(h.deadline, 'YYYY-MM-DD') as deadline,
  (extract(epoch from h.deadline_set_at) * 1000)::float8 as deadline_set_at,
  (extract(epoch from h.reported_at) * 1000)::float8 as reported_at,
  (extract(epoch from h.assigned_at) * 1000)::float8 as assigned_at,
  (extract(epoch from h.acknowledged_at) * 1000)::float8 as acknowledged_at,
  (extract(epoch from h.rectified_at) * 1000)::float8 as rectified_at,
  h.supervision, h.responsible_id, h.reporter_id,
  array(select r.step_key from reminder_steps r where r.hazard_id = h.id) as sent,
  case when h.grade in (${CLOCK_GRADES_SQL}) then array(
    select oc.kind || '|' || (extract(epoch from oc.started_at) * 1000)::bigint || '|' || to_char(oc.due, 'YYYY-MM-DD')
    from hazard_clocks oc where oc.hazard_id = h.id and oc.stopped_at is null) end as clocks`;

const instant = (value: number | string | null): Date | null => (value === null ? null : new Date(Number(value)));
const idOrNull = (value: number | null) => (value === null ? null : Number(value));

function toScheduled(row: ScheduledRow): ScheduledHazard {
  return {
    id: Number(row.id),
    code: row.code,
    enterpriseId: Number(row.enterprise_id),
    regionId: Number(row.region_id),
    departmentId: idOrNull(row.department_id),
    description: row.description,
    grade: row.grade as HazardGrade,
    status: row.status as HazardStatus,
    reportedAt: instant(row.reported_at)!,
    assignedAt: instant(row.assigned_at),
    acknowledgedAt: instant(row.acknowledged_at),
    deadline: row.deadline,
    deadlineSetAt: instant(row.deadline_set_at)!,
    rectifiedAt: instant(row.rectified_at),
    supervision: row.supervision as SupervisionLevel,
    responsibleId: idOrNull(row.responsible_id),
    reporterId: idOrNull(row.reporter_id),
    sent: new Set(row.sent ?? []),
    clocks: (row.clocks ?? []).map((text) => {
      const [kind, started, due] = text.split('|') as [HazardClockKind, string, string];
      return { kind, startedAt: new Date(Number(started)), due };
    }),
  };
}

/** One hazard as the sweep would read it (the report transaction sends its immediate steps with it). */
export async function readScheduledHazard(db: Db, hazardId: number): Promise<ScheduledHazard | null> {
  const [row] = rowsOf<ScheduledRow>(
    await db.execute(sql`select ${SCHEDULED_COLUMNS} from hazards h where h.id = ${hazardId}`),
  );
  return row ? toScheduled(row) : null;
}

/** Where a source's next window starts: after this row in the source's order. */
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
 */
export interface Source {
  name: string;
  /** The order key (an indexed column) and its SQL type. */
  key: 'changed_xid' | 'deadline' | 'assigned_at' | 'reported_at' | 'rectified_at' | 'clock_due';
  keyType: 'xid8' | 'date' | 'timestamptz';
  order: 'unit' | 'key';
  /** The hazards to read, as a condition on `hazards h` alone (counts, the units to prefetch). */
  where: SQL;
  /**
   * A clock source's read: from `hazard_clocks c` (its open-clock index, by due date) joined to `hazards h`, under
   * this condition on both; its key `clock_due` is `c.due`.
   */
  clocks?: SQL;
}

/** The next `limit` hazards of `source` after `after`, in the source's order, and where the next window starts. */
async function readWindow(db: Db, source: Source, after: Position | null, limit: number) {
  const type = sql.raw(source.keyType);
  const key = sql.raw(source.key === 'clock_due' ? 'c.due' : `h.${source.key}`);
  const table = source.clocks ? sql`hazard_clocks c join hazards h on h.id = c.hazard_id` : sql`hazards h`;
  const where = source.clocks ?? source.where;
  const unit = source.order === 'unit';
  const from = !after
    ? sql``
    : unit
      ? sql`and (${key}, h.region_id, h.enterprise_id, h.id)
          > (${after.key}::${type}, ${after.region}, ${after.enterprise}, ${after.id})`
      : sql`and (${key}, h.id) > (${after.key}::${type}, ${after.id})`;
  const order = unit ? sql`${key}, h.region_id, h.enterprise_id, h.id` : sql`${key}, h.id`;
  // The limit is our own integer, inlined so that the plan is the same every window (an index range scan).
  const rows = rowsOf<ScheduledRow & { k: string }>(
    await db.execute(sql`select ${SCHEDULED_COLUMNS}, ${key}::text as k from ${table}
      where ${where} ${from} order by ${order} limit ${sql.raw(String(Math.trunc(limit)))}`),
  );
  const end = rows.at(-1);
  const last = end
    ? { key: end.k, region: Number(end.region_id), enterprise: Number(end.enterprise_id), id: Number(end.id) }
    : null;
  return { hazards: rows.map(toScheduled), last };
}

/**
 * What a sweep at `at` reads, and where it leaves the sweep's row once done. Every step's instant moves to `at`
 * (back too, if `at` is earlier: the next sweep then reads that stretch again, which sends nothing twice), except
 * in quiet hours for steps that may not break them; the horizon moves to the one read at the start, except in quiet
 * hours (the changed hazards are then evaluated again each sweep until they end, so what they held back is read at
 * their end).
 */
export function planSources(policy: EscalationPolicy, calendar: Calendar, state: SweepState, at: Date) {
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
  const next: NextState = { changedSince: quiet ? since : state.horizon, steps };
  return { sources, next };
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
    if (range.anchor === 'rectified_at') {
      const from = range.from ? sql` and h.rectified_at >= ${range.from.toISOString()}::timestamptz` : sql``;
      return {
        name: `${step.id}:${grade}`,
        key: 'rectified_at',
        keyType: 'timestamptz',
        order: 'key',
        // hazards_awaiting_verification_idx's own condition.
        where: sql`h.status = 'pending_verification' and h.grade = ${grade}${from}
          and h.rectified_at < ${range.before.toISOString()}::timestamptz${unchanged}`,
      };
    }
    if (range.anchor === 'clock_due') {
      const from = range.from ? sql` and c.due >= ${range.from}::date` : sql``;
      // hazard_clocks_open_due_idx's own condition and order (kind, due, hazard_id).
      const clocks = sql`c.stopped_at is null and c.kind = ${range.kind}${from} and c.due <= ${range.to}::date`;
      const hazard = sql`h.status <> 'closed' and h.grade = ${grade}${unchanged}`;
      return {
        name: `${step.id}:${grade}`,
        key: 'clock_due',
        keyType: 'date',
        order: 'key',
        where: sql`${hazard} and exists (select 1 from hazard_clocks c where c.hazard_id = h.id and ${clocks})`,
        clocks: sql`${clocks} and ${hazard}`,
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
 * The planner settings of the sweep's reads. Their statements have the same shape every time (inlined limits), so
 * one plan per connection serves every window; connections otherwise plan each execution (see db/client.ts). Every
 * read is by key and in index order: `reminder_steps` grows by a row per step faster than autovacuum re-analyses it,
 * so a plan made while it looked empty would scan it whole once per hazard; and a generic plan misjudges how many
 * hazards a range holds, so it would read a source by another index and sort all of the range for each window.
 */
async function usePlannerSettings(tx: Db, kind: DatabaseKind): Promise<void> {
  const postgresOnly = sql`, set_config('plan_cache_mode', 'force_generic_plan', true), set_config('jit', 'off', true)`;
  await tx.execute(sql`select set_config('enable_seqscan', 'off', true), set_config('enable_sort', 'off', true),
    set_config('enable_incremental_sort', 'off', true)${kind === 'postgres' ? postgresOnly : sql``}`);
}

/** How many hazards the sources hold, counting no further than `limit` in each (index range looks). */
export async function countToRead(db: Db, sources: Source[], limit: number): Promise<number> {
  const counts = sources.map(
    (source) =>
      sql`(select count(*) from (select 1 from hazards h where ${source.where}
        limit ${sql.raw(String(Math.trunc(limit)))}) x)`,
  );
  const rows = rowsOf<{ n: number }>(await db.execute(sql`select (${sql.join(counts, sql` + `)})::int as n`));
  return Number(rows[0]?.n ?? 0);
}

/** Batches per window a source is read in (see readWindow). */
const WINDOW_BATCHES = 10;

const byUnit = (a: ScheduledHazard, b: ScheduledHazard) =>
  a.regionId - b.regionId || a.enterpriseId - b.enterpriseId || a.id - b.id;

/**
 * The sweep's sources read window after window, cut into batches, shared by the sweep's loops: each batch goes to
 * one loop, so the loops split the work and never share a hazard. The next window is read ahead, while the loops
 * work on the current one. A window is read in its own transaction, outside the batches': a hazard that changes
 * meanwhile is read again by the next sweep (its change moves it past the horizon), as one changing between a read
 * and a write in one transaction would be.
 */
export class SourceCursor {
  private index = 0;
  private after: Position | null = null;
  private pending: ScheduledHazard[][] = [];
  private reading: Promise<void> | null = null;
  private failure: unknown = null;
  private chain: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly db: Db,
    private readonly kind: DatabaseKind,
    private readonly sources: Source[],
  ) {}

  /** The next batch; empty once every source is read. */
  next(limit: number): Promise<ScheduledHazard[]> {
    const read = this.chain.then(() => this.read(limit));
    this.chain = read.catch(() => undefined);
    return read;
  }

  private async read(limit: number): Promise<ScheduledHazard[]> {
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
      const { hazards, last } = await this.db.transaction(async (tx) => {
        await usePlannerSettings(tx, this.kind);
        return readWindow(tx, source, after, size);
      });
      if (hazards.length < size) {
        this.index += 1;
        this.after = null;
      } else {
        this.after = last;
      }
      if (hazards.length === 0) continue;
      hazards.sort(byUnit);
      for (let i = 0; i < hazards.length; i += limit) this.pending.push(hazards.slice(i, i + limit));
      return;
    }
  }
}
