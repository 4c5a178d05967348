/**
 * The major hazard's report and 治理方案, as stored: the one writer of `governance_plans` (one row per version:
 * draft → submitted → returned | accepted), and the plan as everyone reads it (cards, the API, the PDF).
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { governancePlans } from '../db/schema/index.js';
import { peopleByIds } from '../directory/lookup.js';
import { type Calendar, PLAN_STATE_LABELS, type PlanParts, type PlanState, typedParts } from '../domain/index.js';

export type PlanRow = typeof governancePlans.$inferSelect;

/** A hazard's versions, oldest first. */
export async function planVersions(db: Db, hazardId: number): Promise<PlanRow[]> {
  return db
    .select()
    .from(governancePlans)
    .where(eq(governancePlans.hazardId, hazardId))
    .orderBy(asc(governancePlans.version));
}

/** Where the plan stands: by its latest version that left the draft (a draft after a return is still 已退回). */
export function planStateOf(rows: readonly PlanRow[]): PlanState {
  const latest = rows.filter((r) => r.status !== 'draft').at(-1);
  if (!latest) return 'awaiting';
  return latest.status as Exclude<PlanState, 'awaiting'>;
}

/** The text typed but not submitted (the draft of the next version), or null. */
export function draftOf(rows: readonly PlanRow[]): PlanRow | null {
  const last = rows.at(-1);
  return last?.status === 'draft' ? last : null;
}

/** Keeps what was typed in the draft of the next version (nothing typed is lost when a submission is refused). */
export async function saveDraft(tx: Db, hazardId: number, rows: readonly PlanRow[], parts: PlanParts, now: Date) {
  const draft = draftOf(rows);
  if (draft) {
    await tx.update(governancePlans).set({ parts, updatedAt: now }).where(eq(governancePlans.id, draft.id));
    return;
  }
  const version = (rows.at(-1)?.version ?? 0) + 1;
  await tx.insert(governancePlans).values({ hazardId, version, status: 'draft', parts, updatedAt: now });
}

/** Submits the next version (the draft, if one is kept); answers its number. */
export async function saveSubmission(
  tx: Db,
  input: { hazardId: number; rows: readonly PlanRow[]; parts: PlanParts; byId: number; now: Date },
): Promise<number> {
  const { hazardId, rows, parts, byId, now } = input;
  const submitted = { status: 'submitted', parts, submittedById: byId, submittedAt: now, updatedAt: now };
  const draft = draftOf(rows);
  if (draft) {
    await tx.update(governancePlans).set(submitted).where(eq(governancePlans.id, draft.id));
    return draft.version;
  }
  const version = (rows.at(-1)?.version ?? 0) + 1;
  await tx.insert(governancePlans).values({ hazardId, version, ...submitted });
  return version;
}

/** 通过 / 退回 of a submitted version: false when it is no longer waiting (decided meanwhile). */
export async function saveDecision(
  tx: Db,
  input: {
    hazardId: number;
    version: number;
    decision: 'accepted' | 'returned';
    reason: string | null;
    byId: number;
    now: Date;
  },
): Promise<boolean> {
  const updated = await tx
    .update(governancePlans)
    .set({
      status: input.decision,
      reason: input.reason,
      decidedById: input.byId,
      decidedAt: input.now,
      updatedAt: input.now,
    })
    .where(
      and(
        eq(governancePlans.hazardId, input.hazardId),
        eq(governancePlans.version, input.version),
        eq(governancePlans.status, 'submitted'),
      ),
    )
    .returning({ id: governancePlans.id });
  return updated.length > 0;
}

/** A version as the API and the cards say it. */
export interface PlanVersionView {
  version: number;
  status: 'submitted' | 'returned' | 'accepted';
  parts: PlanParts;
  submittedBy: string | null;
  submittedAt: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
}

/** The plan of a hazard: its state, the current version (latest submitted one), every decision. */
export interface PlanView {
  state: PlanState;
  stateLabel: string;
  current: PlanVersionView | null;
  versions: PlanVersionView[];
  /** Typed but not submitted (the next version's draft). */
  draft: PlanParts | null;
}

export async function planView(db: Db, hazardId: number, calendar: Calendar): Promise<PlanView> {
  const rows = await planVersions(db, hazardId);
  const ids = rows.flatMap((r) => [r.submittedById, r.decidedById]).filter((id): id is number => id !== null);
  const people = await peopleByIds(db, [...new Set(ids)]);
  const name = (id: number | null) => (id === null ? null : (people.get(id)?.name ?? null));
  const stamp = (at: Date | null) => {
    if (!at) return null;
    const local = calendar.toLocal(at);
    return `${local.date} ${local.time}`;
  };
  const versions = rows
    .filter((r) => r.status !== 'draft')
    .map(
      (r): PlanVersionView => ({
        version: r.version,
        status: r.status as PlanVersionView['status'],
        parts: typedParts(r.parts),
        submittedBy: name(r.submittedById),
        submittedAt: stamp(r.submittedAt),
        decidedBy: name(r.decidedById),
        decidedAt: stamp(r.decidedAt),
        reason: r.reason,
      }),
    );
  const state = planStateOf(rows);
  const draft = draftOf(rows);
  return {
    state,
    stateLabel: PLAN_STATE_LABELS[state],
    current: versions.at(-1) ?? null,
    versions,
    draft: draft ? typedParts(draft.parts) : null,
  };
}
