/**
 * The checklist card's buttons: 下一页 stores the page's answers and shows the next page; 提交检查 stores the last
 * page's and, when every item is answered, submits — one transaction: results, counts, the number, status and trail;
 * each 立查立改 item registered as a hazard closed at once (with the inspection's photos when it is the only one);
 * each failed item a prefilled report form sent to the lead inspector. Missing answers are named on the card (which
 * items, on which page) and nothing answered is lost. Only the inspector and the companions may fill it in; a
 * stranger's click on a forwarded card changes nothing. A second submit answers the summary again.
 */
import {
  actorOf,
  type DirectoryPerson,
  findPersonByOpenId,
  loadUnit,
  peopleByIds,
  roleAssignmentsOf,
} from '../directory/lookup.js';
import {
  canInspect,
  checkFindings,
  countResults,
  hazardSourceOf,
  type InspectionKind,
  type ItemResult,
  isItemResult,
  itemField,
  personActor,
} from '../domain/index.js';
import { queueFailedItemReport, registerFixedOnSite } from '../hazards/inspection-findings.js';
import { type ChecklistCardInput, firstPageOf, pageItems } from './cards/checklist-card.js';
import type { InspectionSummary } from './cards/summary-card.js';
import {
  type InspectionItemRow,
  type InspectionRow,
  linkItemToHazard,
  loadInspection,
  loadInspectionItems,
  nextInspectionNumber,
  recordSubmission,
  storeAnswers,
} from './repository.js';
import { type InspectionDeps, NOT_IN_DIRECTORY } from './start.js';
import { checklistCardInput, inspectionSummary } from './view.js';

export const NOT_YOURS = '这张检查表不是您的：只有检查人和同行检查人可以填写和提交。未做任何更改。';
export const EXPIRED_INSPECTION = '该检查表已失效，请发送「检查」重新开始';
export const ABANDONED = '这次检查已作废（您随后开始了另一次检查，而这次还没有填写任何结果）。请发送「检查」重新开始。';

export type PageOutcome =
  /** Said in a toast; nothing changed. */
  | { kind: 'refused'; message: string }
  /** The checklist card at a page: the next one, or one with missing answers named (`missing` > 0). */
  | { kind: 'page'; card: ChecklistCardInput; missing: number; saved: number; findingsError: boolean }
  | { kind: 'already_submitted'; summary: InspectionSummary }
  | { kind: 'submitted'; summary: InspectionSummary };

/** 下一页 (`final` false) or 提交检查 (`final` true) on page `page` of inspection `inspectionId`'s card. */
export async function answerChecklistPage(
  deps: InspectionDeps,
  input: {
    openId: string;
    inspectionId: number;
    page: number;
    final: boolean;
    formValue: Record<string, string | string[]> | undefined;
  },
): Promise<PageOutcome> {
  const person = await findPersonByOpenId(deps.db, input.openId);
  if (!person) return { kind: 'refused', message: NOT_IN_DIRECTORY };
  return deps.db.transaction(async (tx): Promise<PageOutcome> => {
    const d = { ...deps, db: tx };
    const row = await loadInspection(tx, input.inspectionId, { forUpdate: true });
    if (!row) return { kind: 'refused', message: EXPIRED_INSPECTION };
    if (row.inspectorId !== person.id && !row.companionIds.includes(person.id)) {
      return { kind: 'refused', message: NOT_YOURS };
    }
    if (row.status === 'submitted') {
      return {
        kind: 'already_submitted',
        summary: await inspectionSummary(tx, row, await loadInspectionItems(tx, row.id), person.id),
      };
    }
    if (row.status !== 'open') return { kind: 'refused', message: ABANDONED };

    const now = deps.clock.now();
    let items = await loadInspectionItems(tx, row.id);
    const given = answersIn(items, input.formValue);
    const rawFindings = input.formValue?.findings;
    const findings = typeof rawFindings === 'string' ? rawFindings : undefined;
    const changed = Object.keys(given).length > 0 || (findings !== undefined && findings !== (row.findings ?? ''));
    if (changed) {
      await storeAnswers(tx, {
        inspectionId: row.id,
        answers: given,
        findings,
        page: input.page,
        actorId: person.id,
        now,
      });
      items = items.map((item) => (given[item.code] ? { ...item, result: given[item.code]! } : item));
    }
    const current = { ...row, findings: findings ?? row.findings };
    const missing = items.filter((item) => !isItemResult(item.result)).map((item) => item.code);
    const card = await checklistCardInput(tx, current, items, { page: input.page });
    const { pageCount } = pageItems(card, input.page);
    const saved = Object.keys(given).length;

    if (!input.final && input.page < pageCount - 1) {
      // 下一页: the pages up to this one must be complete; later ones are filled in next.
      const upToHere = new Set(Array.from({ length: input.page + 1 }, (_, p) => pageItems(card, p).codes).flat());
      const missingHere = missing.filter((code) => upToHere.has(code));
      if (missingHere.length > 0) return missingPage(card, missingHere, saved);
      return { kind: 'page', card: { ...card, page: input.page + 1 }, missing: 0, saved, findingsError: false };
    }
    if (missing.length > 0) return missingPage(card, missing, saved);
    const checkedFindings = checkFindings(current.findings);
    if (!checkedFindings.ok) {
      return {
        kind: 'page',
        card: { ...card, page: pageCount - 1, findingsError: checkedFindings.message },
        missing: 0,
        saved,
        findingsError: true,
      };
    }
    return submit(d, { row: current, items, person, findings: checkedFindings.text });
  });
}

/** The item fields of the form that carry a valid answer, by item code. */
function answersIn(
  items: readonly InspectionItemRow[],
  formValue: Record<string, string | string[]> | undefined,
): Record<string, ItemResult> {
  const answers: Record<string, ItemResult> = {};
  for (const item of items) {
    const value = formValue?.[itemField(item.code)];
    if (isItemResult(value) && value !== item.result) answers[item.code] = value;
  }
  return answers;
}

function missingPage(card: ChecklistCardInput, missing: string[], saved: number): PageOutcome {
  return {
    kind: 'page',
    card: { ...card, page: firstPageOf(card, missing), missing },
    missing: missing.length,
    saved,
    findingsError: false,
  };
}

/** The lead inspector as an actor (the one who registers what the inspection found). */
async function leadOf(tx: InspectionDeps['db'], row: InspectionRow, asker: DirectoryPerson) {
  if (row.inspectorId === asker.id) return { id: asker.id, openId: asker.openId, actor: actorOf(asker) };
  const lead = (await peopleByIds(tx, [row.inspectorId])).get(row.inspectorId)!;
  return { id: lead.id, openId: lead.openId, actor: personActor(lead.code, await roleAssignmentsOf(tx, lead.id)) };
}

async function submit(
  deps: InspectionDeps,
  input: { row: InspectionRow; items: InspectionItemRow[]; person: DirectoryPerson; findings: string },
): Promise<PageOutcome> {
  const { db: tx, calendar, clock } = deps;
  const { row, items, person } = input;
  const now = clock.now();
  const kind = row.kind as InspectionKind;
  const unit = await loadUnit(tx, { id: row.enterpriseId });
  if (!unit) throw new Error(`inspection ${row.id} points at a missing enterprise ${row.enterpriseId}`);
  const lead = await leadOf(tx, row, person);
  // The lead's rights are checked again: what the inspection found is registered in their name.
  const decision = canInspect(lead.actor, unit.unit, kind);
  if (!decision.allowed) return { kind: 'refused', message: `无法提交：${decision.reason}` };

  const results = items.map((item) => item.result as ItemResult);
  const counts = countResults(results);
  const number = await nextInspectionNumber(tx, Number(calendar.localDate(now).slice(0, 4)));
  await recordSubmission(tx, {
    inspectionId: row.id,
    number,
    counts,
    findings: input.findings,
    actorId: person.id,
    now,
  });
  const inspection = {
    id: row.id,
    code: number.code,
    date: row.date,
    sector: row.sector,
    source: hazardSourceOf(kind),
  };
  const fixed = items.filter((item) => item.result === 'fixed_on_site');
  for (const item of fixed) {
    const registered = await registerFixedOnSite(tx, {
      calendar,
      unit,
      reporter: { id: lead.id, actor: lead.actor },
      inspection,
      item,
      // With one 立查立改 item the photos of the visit are its photos; with several, nobody can tell which is
      // which, so they stay with the inspection (its record shows them).
      takePhotos: fixed.length === 1,
      now,
    });
    if (!registered.ok) throw new Error(`立查立改 item ${item.code} of inspection ${row.id}: ${registered.message}`);
    await linkItemToHazard(tx, {
      inspectionId: row.id,
      itemCode: item.code,
      hazardId: registered.id,
      hazardCode: registered.code,
      actorId: person.id,
      now,
    });
  }
  // The report forms go to the lead inspector: the hazards are reported in their name (or the asker's, without one).
  const formsTo = lead.openId ? { id: lead.id, openId: lead.openId } : { id: person.id, openId: person.openId! };
  for (const item of items.filter((i) => i.result === 'fail')) {
    await queueFailedItemReport(tx, { calendar, person: formsTo, unit, inspection, item, now });
  }
  const submitted = (await loadInspection(tx, row.id))!;
  return {
    kind: 'submitted',
    summary: await inspectionSummary(tx, submitted, await loadInspectionItems(tx, row.id), person.id),
  };
}
