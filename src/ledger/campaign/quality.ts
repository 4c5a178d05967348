/**
 * Inspection quality (检查质量) for a scope and period, from the submitted inspections:
 * - units visited by government inspections (not 企业自查) at least QUALITY_THRESHOLDS.unitVisits times in the
 *   period where none of those visits found anything (no failed item, no 立查立改);
 * - inspectors who led at least QUALITY_THRESHOLDS.inspectorInspections government inspections in the period and
 *   found nothing in any of them;
 * - hazards that come back: found in the period at a unit and checklist item (the inspection item it failed) where an
 *   earlier hazard of the same unit and item had already been 销号 before it was found.
 * Lists are capped (the worst first); `total` says how many there are.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import { type CampaignPeriod, QUALITY_THRESHOLDS } from '../../domain/index.js';

/** Items listed per list (the totals count all). */
export const QUALITY_LISTED = 50;

export interface QuietUnit {
  code: string;
  name: string;
  township: string;
  visits: number;
  lastVisit: string;
}

export interface QuietInspector {
  code: string;
  name: string;
  inspections: number;
  units: number;
  lastInspection: string;
}

export interface RecurringHazard {
  code: string;
  enterpriseCode: string;
  enterpriseName: string;
  checklistCode: string;
  itemCode: string;
  itemText: string;
  /** Found (local day). */
  foundOn: string;
  /** The earlier hazard of the same unit and item that was 销号 before this one was found (the latest such). */
  earlierCode: string;
  earlierClosedOn: string;
}

export interface InspectionQuality {
  thresholds: { unitVisits: number; inspectorInspections: number };
  quietUnits: { total: number; items: QuietUnit[] };
  quietInspectors: { total: number; items: QuietInspector[] };
  recurring: { total: number; items: RecurringHazard[] };
}

const found = sql`(i.fail_count + i.fixed_on_site_count)`;

export async function inspectionQuality(
  db: Db,
  input: {
    /** The scope as a condition on `inspections` (inspectionScopeCondition). */
    inspectionWhere: SQL | undefined;
    /** The scope as a condition on `hazards` (scopeCondition). */
    hazardWhere: SQL | undefined;
    period: CampaignPeriod;
    timeZone: string;
    /** The period's bounds as instants: [start of `from`, start of the day after `to`). */
    fromInstant: Date;
    endInstant: Date;
  },
): Promise<InspectionQuality> {
  const { period } = input;
  const thresholds = { ...QUALITY_THRESHOLDS };
  // The scope conditions name "inspections"/"hazards" columns: the subqueries read those tables under their names.
  const visits = sql`
    select inspections.* from inspections
    where inspections.status = 'submitted' and inspections.kind <> 'self'
      and inspections.date >= ${period.from} and inspections.date <= ${period.to}
      and ${input.inspectionWhere ?? sql`true`}`;

  const units = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      with i as (${visits})
      select e.code, e.name, r.name as township, count(*)::int as visits, max(i.date)::text as last_visit,
        count(*) over ()::int as total
      from i join enterprises e on e.id = i.enterprise_id join regions r on r.id = i.region_id
      group by e.id, e.code, e.name, r.name
      having count(*) >= ${thresholds.unitVisits} and sum(${found}) = 0
      order by count(*) desc, e.code
      limit ${QUALITY_LISTED}`),
  );

  const inspectors = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      with i as (${visits})
      select p.code, p.name, count(*)::int as inspections, count(distinct i.enterprise_id)::int as units,
        max(i.date)::text as last_inspection, count(*) over ()::int as total
      from i join people p on p.id = i.inspector_id
      group by p.id, p.code, p.name
      having count(*) >= ${thresholds.inspectorInspections} and sum(${found}) = 0
      order by count(*) desc, p.code
      limit ${QUALITY_LISTED}`),
  );

  // A hazard's unit and item: the inspection item it became (inspection_items.hazard_id), of a submitted inspection.
  const recurring = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      with found as (
        select hazards.id, hazards.code, hazards.reported_at, hazards.closed_at,
          i.enterprise_id, i.checklist_code, ii.code as item_code, ii.text as item_text
        from hazards
        join inspection_items ii on ii.inspection_id = hazards.inspection_id and ii.hazard_id = hazards.id
        join inspections i on i.id = hazards.inspection_id
        where hazards.inspection_id is not null
          and hazards.reported_at >= ${input.fromInstant.toISOString()}::timestamptz
          and hazards.reported_at < ${input.endInstant.toISOString()}::timestamptz
          and ${input.hazardWhere ?? sql`true`}
      )
      select f.code, e.code as enterprise_code, e.name as enterprise_name, f.checklist_code, f.item_code, f.item_text,
        (f.reported_at at time zone ${input.timeZone})::date::text as found_on,
        earlier.code as earlier_code,
        (earlier.closed_at at time zone ${input.timeZone})::date::text as earlier_closed_on,
        count(*) over ()::int as total
      from found f
      join enterprises e on e.id = f.enterprise_id
      cross join lateral (
        select h.code, h.closed_at
        from inspections pv
        join inspection_items pvi on pvi.inspection_id = pv.id and pvi.code = f.item_code and pvi.hazard_id is not null
        join hazards h on h.id = pvi.hazard_id
        where pv.enterprise_id = f.enterprise_id and pv.checklist_code = f.checklist_code
          and pv.status = 'submitted' and h.id <> f.id
          and h.status = 'closed' and h.closed_at < f.reported_at
        order by h.closed_at desc
        limit 1
      ) earlier
      order by f.reported_at desc, f.code
      limit ${QUALITY_LISTED}`),
  );

  const total = (rows: Record<string, unknown>[]) => (rows.length ? Number(rows[0]!.total) : 0);
  return {
    thresholds,
    quietUnits: {
      total: total(units),
      items: units.map((r) => ({
        code: String(r.code),
        name: String(r.name),
        township: String(r.township),
        visits: Number(r.visits),
        lastVisit: String(r.last_visit),
      })),
    },
    quietInspectors: {
      total: total(inspectors),
      items: inspectors.map((r) => ({
        code: String(r.code),
        name: String(r.name),
        inspections: Number(r.inspections),
        units: Number(r.units),
        lastInspection: String(r.last_inspection),
      })),
    },
    recurring: {
      total: total(recurring),
      items: recurring.map((r) => ({
        code: String(r.code),
        enterpriseCode: String(r.enterprise_code),
        enterpriseName: String(r.enterprise_name),
        checklistCode: String(r.checklist_code),
        itemCode: String(r.item_code),
        itemText: String(r.item_text),
        foundOn: String(r.found_on),
        earlierCode: String(r.earlier_code),
        earlierClosedOn: String(r.earlier_closed_on),
      })),
    },
  };
}
