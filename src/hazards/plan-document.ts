/**
 * A major hazard's 治理方案 as others read it: `GET /api/hazards/:code` (state, clock, versions, decisions) and the
 * PDF (issue #21 point 9), from the rows plan-store.ts and clocks.ts keep.
 */
import type { Db } from '../db/client.js';
import type { Calendar, PlanParts } from '../domain/index.js';
import { clocksOf } from './clocks.js';
import { planView } from './plan-store.js';
import { loadHazard } from './repository.js';

// ---------------------------------------------------------------------------------------------------------------
// For the PDF (issue #21 point 9): exactly these names.

export interface PlanDocument {
  hazardCode: string;
  unitName: string;
  situation: string;
  severity: string;
  goals: string;
  methods: string;
  funding: string;
  organisation: string;
  timeline: string;
  safety: string;
  submittedBy: string;
  submittedAt: string;
  acceptedBy?: string;
  acceptedAt?: string;
}

/**
 * The plan of hazard `code` as the PDF renders it: the accepted version, or else the latest submitted one; null when
 * none was submitted (or there is no such hazard). Times are local `YYYY-MM-DD HH:mm`.
 */
export async function planDocument(db: Db, code: string, calendar: Calendar): Promise<PlanDocument | null> {
  const record = await loadHazard(db, code);
  if (!record) return null;
  const plan = await planView(db, record.row.id, calendar);
  const chosen = plan.versions.filter((v) => v.status === 'accepted').at(-1) ?? plan.current;
  if (!chosen) return null;
  const parts: PlanParts = chosen.parts;
  return {
    hazardCode: record.row.code,
    unitName: record.unit.enterprise.name,
    ...parts,
    submittedBy: chosen.submittedBy ?? '—',
    submittedAt: chosen.submittedAt ?? '—',
    ...(chosen.status === 'accepted'
      ? { acceptedBy: chosen.decidedBy ?? '—', acceptedAt: chosen.decidedAt ?? '—' }
      : {}),
  };
}

/**
 * A major hazard's plan for `GET /api/hazards/:code`: its state, its clock (due date, whether it stopped), the
 * current version and every version with its decision; null for a hazard with no plan (general, or older).
 */
export async function planOfHazard(db: Db, code: string, calendar: Calendar) {
  const record = await loadHazard(db, code);
  if (record?.row.grade !== 'major') return null;
  const clock = (await clocksOf(db, record.row.id, 'plan')).at(-1);
  if (!clock) return null;
  const plan = await planView(db, record.row.id, calendar);
  return {
    state: plan.state,
    stateLabel: plan.stateLabel,
    due: clock.due,
    clockStoppedAt: clock.stoppedAt?.toISOString() ?? null,
    current: plan.current,
    versions: plan.versions,
    decisions: plan.versions
      .filter((v) => v.status !== 'submitted')
      .map((v) => ({ version: v.version, decision: v.status, by: v.decidedBy, at: v.decidedAt, reason: v.reason })),
  };
}
