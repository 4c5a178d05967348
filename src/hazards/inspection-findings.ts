/**
 * What a submitted inspection hands to the hazard loop: each 立查立改 item becomes a hazard registered and closed at
 * once (no notice, no deadline to keep, no reminder — the sweep reads only hazards that are not closed, and the
 * policy's steps `on: reported` are not sent for it), and each failed item a report draft with its form prefilled,
 * sent to the inspector to complete the 五定 and submit like any report (report.ts links the hazard to the item).
 */
import type { Db } from '../db/client.js';
import type { UnitRecord } from '../directory/lookup.js';
import {
  type Calendar,
  type HazardGrade,
  type HazardSource,
  type LocalDate,
  type PersonActor,
  registerFixedOnSiteHazard,
} from '../domain/index.js';
import { enqueueMessage } from '../feishu/outbox.js';
import { basisOptions, clauseOfChecklistItem, loadBasisCatalog, OTHER_BASIS } from './basis-clauses.js';
import { buildReportFormCard } from './cards/report-form.js';
import { createDraft, moveInspectionPhotosToHazard, type ReportOrigin } from './drafts.js';
import { FIELD_LIMITS, type ReportFormValues, SECTORS } from './report-input.js';
import { insertHazard, nextHazardNumber } from './repository.js';

/** The checklist item as inspected. */
export interface InspectedItem {
  code: string;
  text: string;
  basis: string;
  major: boolean;
}

/** The inspection that found it. */
export interface FindingInspection {
  id: number;
  date: LocalDate;
  sector: string;
  source: HazardSource;
}

const gradeOf = (item: InspectedItem): HazardGrade => (item.major ? 'major' : 'general');

/**
 * 立查立改: registers the item as a hazard closed at once (trail: reported, closed — both saying so), source and
 * inspection set, its deadline the day of the visit. With `takePhotos`, the inspection's photos go with it.
 */
export async function registerFixedOnSite(
  tx: Db,
  input: {
    calendar: Calendar;
    unit: UnitRecord;
    /** Who registers it: the inspection's lead inspector (or the unit's officer for 企业自查). */
    reporter: { id: number; actor: PersonActor };
    /** With its number (JC-…), for the trail: the inspection is numbered before its 立查立改 hazards. */
    inspection: FindingInspection & { code: string };
    item: InspectedItem;
    takePhotos: boolean;
    now: Date;
  },
): Promise<{ ok: true; id: number; code: string } | { ok: false; message: string }> {
  const { unit, reporter, inspection, item, now } = input;
  const result = registerFixedOnSiteHazard(
    { unit: unit.unit, grade: gradeOf(item), date: inspection.date, inspection: inspection.code },
    reporter.actor,
    now,
  );
  if (!result.ok) return { ok: false, message: result.error.message };
  const number = await nextHazardNumber(tx, Number(input.calendar.localDate(now).slice(0, 4)));
  const id = await insertHazard(tx, {
    number,
    unit,
    reporterId: reporter.id,
    hazard: result.hazard,
    events: result.events,
    idOf: (code) => (code === reporter.actor.person ? reporter.id : null),
    now,
    details: {
      sector: inspection.sector,
      description: item.text,
      location: `检查表第 ${item.code} 项`,
      measures: '检查中当场整改（立查立改）',
      standard: '当场复核合格',
      basis: item.basis || null,
      // The checklist item's clause as typed on the checklist (the report form's list is not involved).
      basisCode: item.basis ? 'other' : null,
      governancePlan: null,
      source: inspection.source,
      inspectionId: inspection.id,
      fixedOnSite: true,
    },
  });
  if (input.takePhotos) await moveInspectionPhotosToHazard(tx, inspection.id, id);
  return { ok: true, id, code: number.code };
}

/**
 * 不合格: a report draft for the item (its origin: the inspection and item) and its form, prefilled — unit, sector,
 * description from the item, basis = the item's clause, level from the item's `major` flag — queued to `to`.
 */
export async function queueFailedItemReport(
  tx: Db,
  input: {
    calendar: Calendar;
    person: { id: number; openId: string };
    unit: UnitRecord;
    inspection: FindingInspection;
    item: InspectedItem;
    now: Date;
  },
): Promise<number> {
  const { unit, inspection, item, now, calendar } = input;
  const origin: ReportOrigin = {
    inspectionId: inspection.id,
    itemCode: item.code,
    source: inspection.source === 'self_inspection' ? 'self_inspection' : 'inspection',
    enterpriseCode: unit.enterprise.code,
    enterpriseName: unit.enterprise.name,
  };
  const draftId = await createDraft(tx, input.person.id, now, origin);
  const grade = gradeOf(item);
  // 判定依据: the item's clause on the sector's pick list (a major item citing its basis), else its basis as 其他.
  const catalog = await loadBasisCatalog(tx);
  const clause = item.major ? clauseOfChecklistItem(catalog, inspection.sector, item) : undefined;
  const values: ReportFormValues = {
    enterprise: unit.enterprise.name,
    sector: inspection.sector,
    level: grade,
    description: item.text.slice(0, FIELD_LIMITS.description),
    ...(clause
      ? { basis: clause.code }
      : item.basis
        ? { basis: OTHER_BASIS, basis_other: item.basis.slice(0, FIELD_LIMITS.basis_other) }
        : {}),
    deadline: calendar.defaultDeadline(grade, now).date,
  };
  const card = buildReportFormCard({
    basisOptions: basisOptions(catalog, inspection.sector, values.basis),
    draft: draftId,
    values,
    sectors: SECTORS,
    defaultDeadline: calendar.defaultDeadline(grade, now).date,
    photoCount: 0,
    limits: FIELD_LIMITS,
    // The form goes out in the submitting transaction before the inspection is numbered (the number's lock is held
    // to the end of it): the summary card beside it says the number.
    origin: {
      title: `上报检查发现的隐患｜${unit.enterprise.name}`,
      note: `**来自刚提交的检查，检查表第 ${item.code} 项（不合格）**：单位、行业、描述、依据和等级已按检查表填好，请补全隐患位置、整改措施、验收标准和期限后提交。`,
    },
  });
  await enqueueMessage(tx, {
    to: { openId: input.person.openId },
    msgType: 'interactive',
    content: card,
    topic: `inspection:${inspection.id}:report:${item.code}`,
  });
  return draftId;
}
