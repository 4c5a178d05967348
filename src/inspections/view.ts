/** An inspection as its cards show it: names instead of ids, the items with their answers, the hazards it became. */
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { enterprises, hazards } from '../db/schema/index.js';
import { peopleByIds } from '../directory/lookup.js';
import type { InspectionKind, ItemResult, ResultCounts } from '../domain/index.js';
import { photoCount } from '../hazards/drafts.js';
import type { ChecklistCardInput } from './cards/checklist-card.js';
import type { InspectionSummary } from './cards/summary-card.js';
import type { InspectionItemRow, InspectionRow } from './repository.js';

/** The lead inspector's and companions' names, the lead first. */
async function inspectorNames(db: Db, row: InspectionRow): Promise<{ names: string[]; lead: string }> {
  const people = await peopleByIds(db, [row.inspectorId, ...row.companionIds]);
  const lead = people.get(row.inspectorId)?.name ?? '—';
  return { lead, names: [lead, ...row.companionIds.map((id) => people.get(id)?.name ?? '—')] };
}

async function unitName(db: Db, enterpriseId: number): Promise<string> {
  const [row] = await db.select({ name: enterprises.name }).from(enterprises).where(eq(enterprises.id, enterpriseId));
  return row?.name ?? '—';
}

/** What the checklist card shows of an open inspection, at `page`, with what to flag. */
export async function checklistCardInput(
  db: Db,
  row: InspectionRow,
  items: readonly InspectionItemRow[],
  show: { page: number; missing?: readonly string[]; findings?: string; findingsError?: string },
): Promise<ChecklistCardInput> {
  const { names } = await inspectorNames(db, row);
  return {
    inspectionId: row.id,
    unitName: await unitName(db, row.enterpriseId),
    kind: row.kind as InspectionKind,
    date: row.date,
    checklist: { name: row.checklistName, sector: row.sector },
    inspectors: names,
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
    photoCount: await photoCount(db, { inspectionId: row.id }),
  };
}

/** The submitted inspection's summary, as `askerId` reads it. */
export async function inspectionSummary(
  db: Db,
  row: InspectionRow,
  items: readonly InspectionItemRow[],
  askerId: number,
): Promise<InspectionSummary> {
  const { names, lead } = await inspectorNames(db, row);
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
  const fixedOnSite = codesOf('fixed_on_site');
  const photos = await photoCount(db, { inspectionId: row.id });
  return {
    code: row.code ?? '',
    unitName: await unitName(db, row.enterpriseId),
    date: row.date,
    kind: row.kind as InspectionKind,
    checklist: { name: row.checklistName, sector: row.sector },
    inspectors: names,
    counts,
    findings: row.findings ?? '',
    photoCount: photos,
    reportForms: { count: counts.fail, to: lead, toAsker: row.inspectorId === askerId },
    fixedOnSite,
    // The photos went with the 立查立改 hazard when it was the only one (photos.ts says why).
    photosWith: photos > 0 && fixedOnSite.length === 1 ? fixedOnSite[0]! : null,
    reported: codesOf('fail'),
  };
}
