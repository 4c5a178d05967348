/**
 * 责任倒查 for one major hazard: the earlier inspections of its unit that passed (`pass`) the checklist item it
 * failed. The item is the inspection item the hazard became (inspection_items.hazard_id); a hazard reported outside an
 * inspection names its item by the clause picked on the form (`ck:<checklist>:<item>`, src/hazards/basis-clauses.ts).
 * "Earlier" is before the finding inspection (by date, then number), or before the day it was found.
 */
import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import { hazards } from '../../db/schema/index.js';
import { INSPECTION_KIND_LABELS, type InspectionKind } from '../../domain/index.js';

export interface LookbackPass {
  inspectionCode: string;
  date: string;
  kind: InspectionKind;
  kindLabel: string;
  inspector: string;
  companions: string[];
}

export interface Lookback {
  hazard: { code: string; enterpriseCode: string; enterpriseName: string; foundOn: string };
  /** The item it failed; null when neither an inspection item nor a checklist clause names one. */
  item: {
    checklistCode: string;
    code: string;
    text: string | null;
    /** The inspection that found it, when one did. */
    foundBy: string | null;
  } | null;
  /** Newest first. */
  passedBefore: LookbackPass[];
}

/** null when the hazard is not major or not within `where` (the viewer's scope): the caller answers 404. */
export async function lookbackOf(
  db: Db,
  input: { code: string; where: SQL | undefined; timeZone: string },
): Promise<Lookback | null> {
  const [hazard] = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      select hazards.id, hazards.code, hazards.enterprise_id, hazards.basis_code, e.code as enterprise_code,
        e.name as enterprise_name, (hazards.reported_at at time zone ${input.timeZone})::date::text as found_on
      from hazards join enterprises e on e.id = hazards.enterprise_id
      where ${and(eq(hazards.code, input.code), eq(hazards.grade, 'major'), input.where)}`),
  );
  if (!hazard) return null;
  const [finding] = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      select i.id, i.code, i.date::text as date, i.checklist_code, ii.code as item_code, ii.text as item_text
      from inspection_items ii join inspections i on i.id = ii.inspection_id
      where ii.hazard_id = ${Number(hazard.id)} and i.enterprise_id = ${Number(hazard.enterprise_id)}
      order by i.date, i.id limit 1`),
  );
  const clause = /^ck:(.+):([^:]+)$/.exec(String(hazard.basis_code ?? ''));
  const item = finding
    ? {
        checklistCode: String(finding.checklist_code),
        code: String(finding.item_code),
        text: String(finding.item_text),
        foundBy: finding.code === null ? null : String(finding.code),
      }
    : clause
      ? { checklistCode: clause[1]!, code: clause[2]!, text: null, foundBy: null }
      : null;
  const base = {
    hazard: {
      code: String(hazard.code),
      enterpriseCode: String(hazard.enterprise_code),
      enterpriseName: String(hazard.enterprise_name),
      foundOn: String(hazard.found_on),
    },
    item,
  };
  if (!item) return { ...base, passedBefore: [] };
  const before = finding
    ? sql`(i.date, i.id) < (${String(finding.date)}::date, ${Number(finding.id)}::int)`
    : sql`i.date < ${String(hazard.found_on)}::date`;
  const rows = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      select i.code, i.date::text as date, i.kind, p.name as inspector,
        coalesce((select array_agg(c.name order by c.name) from people c where c.id = any(i.companion_ids)), '{}')
          as companions
      from inspections i
      join inspection_items ii on ii.inspection_id = i.id and ii.code = ${item.code} and ii.result = 'pass'
      join people p on p.id = i.inspector_id
      where i.enterprise_id = ${Number(hazard.enterprise_id)} and i.checklist_code = ${item.checklistCode}
        and i.status = 'submitted' and ${before}
      order by i.date desc, i.id desc
      limit 100`),
  );
  return {
    ...base,
    item: item.text === null ? await withItemText(db, item) : item,
    passedBefore: rows.map((r) => ({
      inspectionCode: String(r.code),
      date: String(r.date),
      kind: r.kind as InspectionKind,
      kindLabel: INSPECTION_KIND_LABELS[r.kind as InspectionKind] ?? String(r.kind),
      inspector: String(r.inspector),
      companions: (r.companions as string[] | null) ?? [],
    })),
  };
}

/** The item's text from the checklist as it stands (a hazard reported outside an inspection has no copy of it). */
async function withItemText(db: Db, item: NonNullable<Lookback['item']>): Promise<NonNullable<Lookback['item']>> {
  const [row] = rowsOf<{ text: string }>(
    await db.execute(sql`
      select ci.text from checklist_items ci join checklists c on c.id = ci.checklist_id
      where c.code = ${item.checklistCode} and ci.code = ${item.code}`),
  );
  return { ...item, text: row?.text ?? null };
}
