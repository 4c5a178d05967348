/**
 * 立查立改: a hazard found during an inspection and fixed before the inspector left. It is registered and closed in
 * the same moment, so statistics count it as found and fixed; it has no deadline to keep (its deadline is the day of
 * the visit, already met), no responsible person to remind and no supervision.
 */
import type { Hazard, HazardResult } from './hazard.js';
import { type Actor, canReport, type UnitContext } from './permissions.js';
import type { HazardGrade, LocalDate } from './vocabulary.js';

export const FIXED_ON_SITE_NOTE = '立查立改：检查中发现并当场整改完毕';

export interface FixedOnSiteInput {
  unit: UnitContext;
  grade: HazardGrade;
  /** The day of the inspection: the hazard's deadline, met on that day. */
  date: LocalDate;
  /** The inspection's code (JC-…), for the trail. */
  inspection: string;
}

/** The closed hazard and its trail (`reported` then `closed`, both saying 立查立改), or why it may not be registered. */
export function registerFixedOnSiteHazard(input: FixedOnSiteInput, actor: Actor, now: Date): HazardResult {
  const decision = canReport(actor, input.unit);
  if (!decision.allowed) return { ok: false, error: { code: 'forbidden', message: decision.reason } };
  if (actor.kind !== 'person') return { ok: false, error: { code: 'forbidden', message: '系统不能登记隐患' } };
  const by = actor.person;
  const hazard: Hazard = {
    enterpriseCode: input.unit.enterpriseCode,
    regionPath: [...input.unit.regionPath],
    departmentCode: input.unit.departmentCode,
    principal: input.unit.principal,
    safetyOfficer: input.unit.safetyOfficer,
    reporter: by,
    responsible: null,
    rectifiedBy: null,
    rectifiers: [],
    grade: input.grade,
    status: 'closed',
    reportedAt: now,
    assignedAt: null,
    acknowledgedAt: null,
    deadline: input.date,
    deadlineSetAt: now,
    supervision: 'none',
    suspended: false,
    suspensionProposal: null,
    resumptionRequest: null,
    listing: null,
    extensionRequest: null,
    rectifiedAt: null,
    closedAt: now,
    closedBy: by,
  };
  return {
    ok: true,
    hazard,
    events: [
      {
        type: 'reported',
        at: now,
        by,
        grade: input.grade,
        deadline: input.date,
        fixedOnSite: true,
        inspection: input.inspection,
      },
      { type: 'closed', at: now, by, note: FIXED_ON_SITE_NOTE },
    ],
  };
}
