/**
 * 检查计划与双随机抽取的唯一写入者: every statement that changes `inspection_plans` or `inspection_draws` is here.
 * - The import (PUT /api/admin/plans) replaces or merges the plans, all or nothing; a changed plan's version goes up.
 * - A sampling plan's draw is made once per period, at its first use, with a random seed that is recorded with the
 *   count of candidates and the units picked (drawSample: anyone can check it with the seed). It is never made
 *   again by itself: editing a plan does not redraw the running period. An admin's redraw is a new draw, logged
 *   with its reason, and the one it replaces is kept, marked superseded.
 */
import { randomBytes } from 'node:crypto';
import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { departments, enterprises, inspectionDraws, inspectionPlans, regions } from '../../db/schema/index.js';
import type { ImportMode } from '../../directory/model.js';
import type { PlanFrequency } from '../../domain/inspection.js';
import { compareCodes, drawSample, type Period, periodContaining } from '../../domain/inspection-periods.js';
import type { LocalDate } from '../../domain/vocabulary.js';
import { loadPlanDirectory, type PlanRow, planCandidates, planSchedule } from './units.js';
import { checkPlanReferences, enterpriseReferences, type PlanInput, type PlanIssue, parsePlans } from './validate.js';

/** Plan imports serialise on this transaction-level advisory lock (two admins' uploads cannot interleave). */
const IMPORT_LOCK_KEY = 727_020;
/** Redraws of one plan serialise on (this, plan id). */
const REDRAW_LOCK_KEY = 727_021;

export interface PlanImportReport {
  mode: ImportMode;
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  changed: boolean;
}

export type PlanImportResult = { ok: true; report: PlanImportReport } | { ok: false; issues: PlanIssue[] };

/** What a caller is told about a plan or a draw it cannot have. */
export class PlanError extends Error {
  constructor(
    readonly code: 'plan_not_found' | 'not_sampled' | 'invalid_period' | 'invalid_reason',
    message: string,
  ) {
    super(message);
    this.name = 'PlanError';
  }
}

/** The plan as stored and written back: the import format's fields, so that GET can be PUT again. */
function storedFields(plan: PlanInput, ownerId: number) {
  const units: Record<string, string[]> = {};
  for (const key of ['sectors', 'regions', 'enterprises'] as const)
    if (plan.units[key].length) units[key] = plan.units[key];
  return {
    name: plan.name,
    ownerKind: plan.owner.kind,
    ownerId,
    from: plan.from,
    to: plan.to,
    every: plan.every as string,
    units,
    sample: plan.sample,
  };
}

type StoredFields = ReturnType<typeof storedFields>;

function sameFields(row: PlanRow, fields: StoredFields): boolean {
  return (
    row.name === fields.name &&
    row.ownerKind === fields.ownerKind &&
    row.ownerId === fields.ownerId &&
    row.from === fields.from &&
    row.to === fields.to &&
    row.every === fields.every &&
    JSON.stringify(row.units ?? {}) === JSON.stringify(fields.units) &&
    JSON.stringify(row.sample ?? null) === JSON.stringify(fields.sample)
  );
}

/**
 * Imports `{"plans": […]}`: every problem is answered with its path and nothing is applied, or all of it is, in one
 * transaction. `replace` deactivates the active plans the file does not list; `merge` leaves them alone.
 */
export async function importPlans(
  db: Db,
  body: unknown,
  options: { mode: ImportMode; now: Date },
): Promise<PlanImportResult> {
  const parsed = parsePlans(body);
  const directory = await loadPlanDirectory(db, enterpriseReferences(parsed.drafts));
  const issues = [...parsed.issues, ...checkPlanReferences(parsed.drafts, directory)];
  if (issues.length > 0) return { ok: false, issues: sortIssues(issues) };

  const report = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${IMPORT_LOCK_KEY})`);
    const stored = new Map((await tx.select().from(inspectionPlans)).map((row) => [row.code, row]));
    const result: PlanImportReport = {
      mode: options.mode,
      created: 0,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
      changed: false,
    };
    for (const plan of parsed.plans) {
      const ownerId =
        plan.owner.kind === 'region'
          ? directory.regions.get(plan.owner.code)!.id
          : directory.departments.get(plan.owner.code)!.id;
      const fields = storedFields(plan, ownerId);
      const row = stored.get(plan.code);
      if (!row) {
        await tx.insert(inspectionPlans).values({
          code: plan.code,
          ...fields,
          active: true,
          version: 1,
          createdAt: options.now,
          updatedAt: options.now,
        });
        result.created += 1;
      } else if (row.active && sameFields(row, fields)) {
        result.unchanged += 1;
      } else {
        await tx
          .update(inspectionPlans)
          .set({ ...fields, active: true, version: row.version + 1, updatedAt: options.now })
          .where(eq(inspectionPlans.id, row.id));
        result.updated += 1;
      }
    }
    if (options.mode === 'replace') {
      const listed = new Set(parsed.plans.map((p) => p.code));
      const gone = [...stored.values()].filter((row) => row.active && !listed.has(row.code)).map((row) => row.id);
      if (gone.length) {
        await tx
          .update(inspectionPlans)
          .set({ active: false, version: sql`${inspectionPlans.version} + 1`, updatedAt: options.now })
          .where(inArray(inspectionPlans.id, gone));
      }
      result.deactivated = gone.length;
    }
    result.changed = result.created + result.updated + result.deactivated > 0;
    return result;
  });
  return { ok: true, report };
}

/** Problems in file order (plans[2] before plans[10]), then as found. */
function sortIssues(issues: PlanIssue[]): PlanIssue[] {
  const index = (issue: PlanIssue) => Number(/^plans\[(\d+)\]/.exec(issue.path)?.[1] ?? -1);
  return issues
    .map((issue, order) => ({ issue, order }))
    .sort((a, b) => index(a.issue) - index(b.issue) || a.order - b.order)
    .map((entry) => entry.issue);
}

/** A plan in the import format (GET /api/admin/plans answers these; they can be PUT back as they are). */
export interface PlanJson {
  code: string;
  name: string;
  owner: string;
  from: LocalDate;
  to: LocalDate;
  every: PlanFrequency;
  units: { sectors?: string[]; regions?: string[]; enterprises?: string[] };
  sample?: { share?: number; count?: number };
}

/** Every plan, active first, in the import format; with each one's version and whether it is active. */
export async function listPlans(db: Db): Promise<{ plan: PlanJson; active: boolean; version: number }[]> {
  const rows = await db
    .select({
      plan: inspectionPlans,
      ownerCode: sql<string>`coalesce(${departments.code}, ${regions.code})`,
    })
    .from(inspectionPlans)
    .leftJoin(
      departments,
      and(eq(inspectionPlans.ownerKind, 'department'), eq(departments.id, inspectionPlans.ownerId)),
    )
    .leftJoin(regions, and(eq(inspectionPlans.ownerKind, 'region'), eq(regions.id, inspectionPlans.ownerId)))
    .orderBy(desc(inspectionPlans.active), sql`${inspectionPlans.code} collate "C"`);
  return rows.map(({ plan, ownerCode }) => ({
    plan: {
      code: plan.code,
      name: plan.name,
      owner: `${plan.ownerKind}:${ownerCode}`,
      from: plan.from,
      to: plan.to,
      every: plan.every as PlanFrequency,
      units: plan.units ?? {},
      ...(plan.sample ? { sample: plan.sample } : {}),
    },
    active: plan.active,
    version: plan.version,
  }));
}

export async function findPlan(db: Db, code: string): Promise<PlanRow | null> {
  const [row] = await db.select().from(inspectionPlans).where(eq(inspectionPlans.code, code)).limit(1);
  return row ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// Draws (双随机)

export type DrawRow = typeof inspectionDraws.$inferSelect;

function newSeed(): string {
  return randomBytes(16).toString('hex');
}

async function readCurrentDraw(db: Db, planId: number, period: Period): Promise<DrawRow | null> {
  const [row] = await db
    .select()
    .from(inspectionDraws)
    .where(
      and(
        eq(inspectionDraws.planId, planId),
        eq(inspectionDraws.periodStart, period.start),
        isNull(inspectionDraws.supersededAt),
      ),
    )
    .limit(1);
  return row ?? null;
}

/**
 * The draw of a sampling plan for `period`: the one made already, or — at the period's first use — a new one. Two
 * first uses at once make one draw: the unique index on (plan, period) for current draws lets one insert through,
 * the other reads it.
 */
export async function currentDraw(db: Db, plan: PlanRow, period: Period, now: Date): Promise<DrawRow> {
  if (!plan.sample) throw new PlanError('not_sampled', `计划 ${plan.code} 不是抽查（双随机）计划，没有抽取结果`);
  const existing = await readCurrentDraw(db, plan.id, period);
  if (existing) return existing;
  const candidates = await planCandidates(db, plan);
  const seed = newSeed();
  const picked = drawSample(seed, candidates, plan.sample);
  await db.execute(sql`
      insert into inspection_draws
        (plan_id, period_start, period_end, seed, candidate_count, enterprise_ids, drawn_at, drawn_by)
      values (${plan.id}, ${period.start}, ${period.end}, ${seed}, ${candidates.length},
              ${`{${picked.map((u) => u.id).join(',')}}`}::int[], ${now.toISOString()}, 'auto')
      on conflict (plan_id, period_start) where superseded_at is null do nothing`);
  // Ours or the one a concurrent first use inserted: either way the one current draw.
  const row = await readCurrentDraw(db, plan.id, period);
  if (!row) throw new Error(`draw of plan ${plan.code} for ${period.start} neither inserted nor found`);
  return row;
}

/**
 * Makes the draws due at `date`: for each active sampling plan running then, its period's draw if there is none yet.
 * Called before coverage is read (coverage itself only reads); cheap when every draw exists already.
 */
export async function ensureCurrentDraws(db: Db, date: LocalDate, now: Date): Promise<number> {
  const plans = await db
    .select()
    .from(inspectionPlans)
    .where(
      and(
        eq(inspectionPlans.active, true),
        sql`${inspectionPlans.sample} is not null and ${inspectionPlans.from} <= ${date} and ${inspectionPlans.to} >= ${date}`,
      ),
    );
  if (plans.length === 0) return 0;
  const existing = await db
    .select({ planId: inspectionDraws.planId, periodStart: inspectionDraws.periodStart })
    .from(inspectionDraws)
    .where(
      and(
        inArray(
          inspectionDraws.planId,
          plans.map((p) => p.id),
        ),
        isNull(inspectionDraws.supersededAt),
      ),
    );
  const have = new Set(existing.map((d) => `${d.planId}|${d.periodStart}`));
  let made = 0;
  for (const plan of plans) {
    const period = periodContaining(planSchedule(plan), date)!;
    if (have.has(`${plan.id}|${period.start}`)) continue;
    await currentDraw(db, plan, period, now);
    made += 1;
  }
  return made;
}

/**
 * An admin's redraw of the period containing `date`: the current draw (if any) is marked superseded and a new one is
 * recorded with `drawnBy: admin` and the reason. Throws PlanError for an unknown or non-sampling plan, a date
 * outside the plan or not yet reached, or no reason.
 */
export async function redraw(
  db: Db,
  planCode: string,
  date: LocalDate,
  reason: string,
  now: Date,
  today: LocalDate,
): Promise<DrawRow> {
  const plan = await findPlan(db, planCode);
  if (!plan) throw new PlanError('plan_not_found', `没有编码为 ${planCode} 的检查计划`);
  if (!plan.sample) throw new PlanError('not_sampled', `计划 ${plan.code} 不是抽查（双随机）计划，无需抽取`);
  const why = reason.trim();
  if (!why) throw new PlanError('invalid_reason', '重新抽取须写明理由（reason），它会记入抽取记录');
  const period = periodContaining(planSchedule(plan), date);
  if (!period) {
    throw new PlanError('invalid_period', `${date} 不在计划 ${plan.code} 的期间（${plan.from} 至 ${plan.to}）内`);
  }
  if (period.start > today) {
    throw new PlanError('invalid_period', `${period.start} 起的一期尚未开始，开始后才会抽取`);
  }
  const candidates = await planCandidates(db, plan);
  const seed = newSeed();
  const picked = drawSample(seed, candidates, plan.sample);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${REDRAW_LOCK_KEY}, ${plan.id})`);
    await tx
      .update(inspectionDraws)
      .set({ supersededAt: now })
      .where(
        and(
          eq(inspectionDraws.planId, plan.id),
          eq(inspectionDraws.periodStart, period.start),
          isNull(inspectionDraws.supersededAt),
        ),
      );
    const [row] = await tx
      .insert(inspectionDraws)
      .values({
        planId: plan.id,
        periodStart: period.start,
        periodEnd: period.end,
        seed,
        candidateCount: candidates.length,
        enterpriseIds: picked.map((u) => u.id),
        drawnAt: now,
        drawnBy: 'admin',
        reason: why,
      })
      .returning();
    return row!;
  });
}

/** A draw as the audit reads it: the seed, the period, the units picked by code. */
export interface DrawJson {
  period: Period;
  seed: string;
  candidateCount: number;
  units: string[];
  drawnAt: string;
  drawnBy: string;
  reason: string | null;
  supersededAt: string | null;
}

/** The draws of a plan, newest period first and, within a period, newest first (the current one is not superseded). */
export async function listDraws(db: Db, planCode: string): Promise<DrawJson[]> {
  const plan = await findPlan(db, planCode);
  if (!plan) throw new PlanError('plan_not_found', `没有编码为 ${planCode} 的检查计划`);
  const draws = await db
    .select()
    .from(inspectionDraws)
    .where(eq(inspectionDraws.planId, plan.id))
    .orderBy(desc(inspectionDraws.periodStart), desc(inspectionDraws.id));
  return drawsJson(db, draws);
}

/** Draws as the audit reads them, the units' ids turned into codes (one query for all). */
export async function drawsJson(db: Db, draws: DrawRow[]): Promise<DrawJson[]> {
  const ids = [...new Set(draws.flatMap((d) => d.enterpriseIds))];
  const codes = new Map<number, string>();
  for (let i = 0; i < ids.length; i += 5000) {
    const part = ids.slice(i, i + 5000);
    const rows = await db
      .select({ id: enterprises.id, code: enterprises.code })
      .from(enterprises)
      .where(inArray(enterprises.id, part));
    for (const row of rows) codes.set(row.id, row.code);
  }
  return draws.map((draw) => drawJsonOf(draw, codes));
}

function drawJsonOf(draw: DrawRow, codes: Map<number, string>): DrawJson {
  return {
    period: { start: draw.periodStart, end: draw.periodEnd },
    seed: draw.seed,
    candidateCount: draw.candidateCount,
    units: draw.enterpriseIds.map((id) => codes.get(id) ?? `#${id}`).sort(compareCodes),
    drawnAt: draw.drawnAt.toISOString(),
    drawnBy: draw.drawnBy,
    reason: draw.reason,
    supersededAt: draw.supersededAt?.toISOString() ?? null,
  };
}
