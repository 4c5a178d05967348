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
import { type ChecklistCardInput, firstPageOf, pageItems, paginateChecklist } from './cards/checklist-card.js';
import type { InspectionSummary } from './cards/summary-card.js';
import { type InspectionDeps, NOT_IN_DIRECTORY } from './form.js';
import {
  type InspectionItemRow,
  type InspectionRow,
  linkItemToHazard,
  loadInspection,
  loadInspectionItems,
  storeAnswers,
  storeItemResults,
  submitNumbered,
} from './repository.js';
import { checklistCardInput, type InspectionContext, inspectionContext, storedSummary, summaryOf } from './view.js';

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
    const stored = await loadInspectionItems(tx, row.id);
    if (row.status === 'submitted') {
      return { kind: 'already_submitted', summary: await storedSummary(tx, row, stored, person.id) };
    }
    if (row.status !== 'open') return { kind: 'refused', message: ABANDONED };

    const now = deps.clock.now();
    const given = answersIn(stored, input.formValue);
    const rawFindings = input.formValue?.findings;
    const findings = typeof rawFindings === 'string' ? rawFindings : undefined;
    const items = stored.map((item) => (given[item.code] ? { ...item, result: given[item.code]! } : item));
    const current = { ...row, findings: findings ?? row.findings };
    const context = await inspectionContext(tx, row);
    const base = checklistCardInput(current, items, context, { page: input.page });
    const card = { ...base, pages: paginateChecklist(base) };
    const { pageCount } = pageItems(card, input.page);
    const missing = items.filter((item) => !isItemResult(item.result)).map((item) => item.code);
    const saved = Object.keys(given).length;
    const save = async () => {
      const changed = saved > 0 || (findings !== undefined && findings !== (row.findings ?? ''));
      if (changed) {
        await storeAnswers(tx, {
          inspectionId: row.id,
          answers: given,
          findings,
          page: input.page,
          actorId: person.id,
          now,
        });
      }
    };

    if (!input.final && input.page < pageCount - 1) {
      await save();
      // 下一页: the pages up to this one must be complete; later ones are filled in next.
      const upToHere = new Set(
        card.pages.slice(0, input.page + 1).flatMap(([s, e]) => items.slice(s, e).map((i) => i.code)),
      );
      const missingHere = missing.filter((code) => upToHere.has(code));
      if (missingHere.length > 0) return missingPage(card, missingHere, saved);
      return { kind: 'page', card: { ...card, page: input.page + 1 }, missing: 0, saved, findingsError: false };
    }
    const checkedFindings = checkFindings(current.findings);
    if (missing.length > 0 || !checkedFindings.ok) {
      await save();
      if (missing.length > 0) return missingPage(card, missing, saved);
      return {
        kind: 'page',
        card: { ...card, page: pageCount - 1, findingsError: checkedFindings.ok ? undefined : checkedFindings.message },
        missing: 0,
        saved,
        findingsError: true,
      };
    }
    // Complete: the answers go in with the submission (its trail entry covers them).
    await storeItemResults(tx, row.id, given);
    return submit(d, { row: current, items, person, context, findings: checkedFindings.text });
  });
}

/** The item fields of the form that carry a valid answer different from the stored one, by item code. */
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
  input: {
    row: InspectionRow;
    items: InspectionItemRow[];
    person: DirectoryPerson;
    context: InspectionContext;
    findings: string;
  },
): Promise<PageOutcome> {
  const { db: tx, calendar, clock } = deps;
  const { row, items, person, context } = input;
  const now = clock.now();
  const kind = row.kind as InspectionKind;
  const unit = await loadUnit(tx, { id: row.enterpriseId });
  if (!unit) throw new Error(`inspection ${row.id} points at a missing enterprise ${row.enterpriseId}`);
  const lead = await leadOf(tx, row, person);
  // The lead's rights are checked again: what the inspection found is registered in their name.
  const decision = canInspect(lead.actor, unit.unit, kind);
  if (!decision.allowed) return { kind: 'refused', message: `无法提交：${decision.reason}` };

  const counts = countResults(items.map((item) => item.result as ItemResult));
  // The order keeps the two counters (inspections', and hazards' — shared with every report) locked for as few round
  // trips as possible: first what needs no number, then the inspection's number, then the 立查立改 hazards'.
  // The report forms go to the lead inspector: the hazards are reported in their name (or the asker's, without one).
  const formsTo = lead.openId ? { id: lead.id, openId: lead.openId } : { id: person.id, openId: person.openId! };
  const source = hazardSourceOf(kind);
  const finding = { id: row.id, date: row.date, sector: row.sector, source };
  for (const item of items.filter((i) => i.result === 'fail')) {
    await queueFailedItemReport(tx, { calendar, person: formsTo, unit, inspection: finding, item, now });
  }
  const number = await submitNumbered(tx, {
    inspectionId: row.id,
    year: Number(calendar.localDate(now).slice(0, 4)),
    counts,
    findings: input.findings,
    actorId: person.id,
    now,
  });
  const fixed = items.filter((item) => item.result === 'fixed_on_site');
  const fixedCodes: string[] = [];
  for (const item of fixed) {
    const registered = await registerFixedOnSite(tx, {
      calendar,
      unit,
      reporter: { id: lead.id, actor: lead.actor },
      inspection: { ...finding, code: number.code },
      item,
      // With one 立查立改 item the photos of the visit are its photos; with several, nobody can tell which is
      // which, so they stay with the inspection (its record shows them).
      takePhotos: fixed.length === 1 && context.photoCount > 0,
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
    fixedCodes.push(registered.code);
  }
  return {
    kind: 'submitted',
    summary: summaryOf(
      row,
      context,
      { code: number.code, counts, findings: input.findings, askerId: person.id },
      { fixedOnSite: fixedCodes, reported: [] },
    ),
  };
}
