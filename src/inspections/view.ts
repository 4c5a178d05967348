/** An inspection as its cards show it: names instead of ids, the items with their answers, the hazards it became. */
import { inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { intArray, rowsOf } from '../db/rows.js';
import { hazards } from '../db/schema/index.js';
import type { InspectionKind, ItemResult, ResultCounts } from '../domain/index.js';
import type { ChecklistCardInput } from './cards/checklist-card.js';
import type { InspectionSummary } from './cards/summary-card.js';
import type { InspectionItemRow, InspectionRow } from './repository.js';

/** What the cards name besides the inspection's own row: the unit, the inspectors (the lead first), the photos. */
export interface InspectionContext {
  unitName: string;
  lead: string;
  names: string[];
  photoCount: number;
}

/** The inspection's context in one round trip (every click on the checklist card reads it). */
export async function inspectionContext(db: Db, row: InspectionRow): Promise<InspectionContext> {
  const ids = [row.inspectorId, ...row.companionIds];
  const [found] = rowsOf<{ unit: string | null; photos: number; people: { id: number; name: string }[] | null }>(
    await db.execute(sql`
      select (select name from enterprises where id = ${row.enterpriseId}) as unit,
        (select count(*)::int from hazard_photos where inspection_id = ${row.id}) as photos,
        (select json_agg(json_build_object('id', id, 'name', name)) from people
          where id = any(${intArray(ids)}::int[])) as people`),
  );
  const byId = new Map((found?.people ?? []).map((p) => [Number(p.id), p.name]));
  const names = ids.map((id) => byId.get(id) ?? '—');
  return { unitName: found?.unit ?? '—', lead: names[0]!, names, photoCount: Number(found?.photos ?? 0) };
}

/** What the checklist card shows of an open inspection, at `page`, with what to flag. */
export function checklistCardInput(
  row: InspectionRow,
  items: readonly InspectionItemRow[],
  context: InspectionContext,
  show: { page: number; missing?: readonly string[]; findings?: string; findingsError?: string },
): ChecklistCardInput {
  return {
    inspectionId: row.id,
    unitName: context.unitName,
    kind: row.kind as InspectionKind,
    date: row.date,
    checklist: { name: row.checklistName, sector: row.sector },
    inspectors: context.names,
    items: items.map((item) => ({
      code: item.code,
      text: item.text,
      basis: item.basis,
      major: item.major,
      result: item.result,
    })),
    findings: show.findings ?? row.findings ?? '',
    page: show.page,
    ...(show.missing ? { missing: show.missing } : {}),
    ...(show.findingsError ? { findingsError: show.findingsError } : {}),
    photoCount: context.photoCount,
  };
}

/** The summary of a submitted inspection as stored, as `askerId` reads it (a second 提交检查, a stale card). */
export async function storedSummary(
  db: Db,
  row: InspectionRow,
  items: readonly InspectionItemRow[],
  askerId: number,
): Promise<InspectionSummary> {
  const context = await inspectionContext(db, row);
  const hazardIds = items.map((i) => i.hazardId).filter((id): id is number => id !== null);
  const codes = new Map<number, string>();
  if (hazardIds.length > 0) {
    const rows = await db
      .select({ id: hazards.id, code: hazards.code })
      .from(hazards)
      .where(inArray(hazards.id, hazardIds));
    for (const r of rows) codes.set(r.id, r.code);
  }
  const codesOf = (result: ItemResult) =>
    items
      .filter((i) => i.result === result && i.hazardId !== null)
      .map((i) => codes.get(i.hazardId!))
      .filter((c): c is string => c !== undefined);
  const counts: ResultCounts = {
    pass: row.passCount,
    fail: row.failCount,
    fixed_on_site: row.fixedOnSiteCount,
    na: row.naCount,
  };
  return summaryOf(
    row,
    context,
    { counts, findings: row.findings ?? '', code: row.code ?? '', askerId },
    {
      fixedOnSite: codesOf('fixed_on_site'),
      reported: codesOf('fail'),
    },
  );
}

/** The summary card's content from what is known: the row, its context, the outcome and the hazards' codes. */
export function summaryOf(
  row: InspectionRow,
  context: InspectionContext,
  outcome: { code: string; counts: ResultCounts; findings: string; askerId: number },
  found: { fixedOnSite: string[]; reported: string[] },
): InspectionSummary {
  const { counts } = outcome;
  return {
    code: outcome.code,
    unitName: context.unitName,
    date: row.date,
    kind: row.kind as InspectionKind,
    checklist: { name: row.checklistName, sector: row.sector },
    inspectors: context.names,
    counts,
    findings: outcome.findings,
    photoCount: context.photoCount,
    reportForms: { count: counts.fail, to: context.lead, toAsker: row.inspectorId === outcome.askerId },
    fixedOnSite: found.fixedOnSite,
    // The photos went with the 立查立改 hazard when it was the only one (submit.ts says why).
    photosWith: context.photoCount > 0 && found.fixedOnSite.length === 1 ? found.fixedOnSite[0]! : null,
    reported: found.reported,
  };
}
