/**
 * The inspections' read side (检查记录): lists in a stable order with an opaque keyset cursor, one inspection with its
 * items and the hazards it found, batches for the ledger's 检查记录 sheet, and the statistics of 统计. Every query
 * takes a scope condition on `inspections` (inspectionScopeCondition), the same scopes hazards are seen by.
 * Only submitted inspections are read: an open one is a visit still in progress.
 */
import { and, asc, desc, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { enterprises, hazards, inspectionItems, inspections, people, regions } from '../db/schema/index.js';
import type { InspectionKind, ItemResult, LocalDate } from '../domain/index.js';
import type { ResolvedScope } from './scope.js';

export interface InspectionRow {
  id: number;
  code: string;
  date: LocalDate;
  kind: InspectionKind;
  enterpriseCode: string;
  enterpriseName: string;
  townshipCode: string;
  townshipName: string;
  sector: string;
  checklistCode: string;
  checklistName: string;
  inspectorName: string;
  companionNames: string[];
  counts: { pass: number; fail: number; fixedOnSite: number; na: number };
  findings: string | null;
  submittedAt: Date;
  /** The hazards it found (failed items reported, 立查立改 registered), by code. */
  hazardCodes: string[];
}

export interface InspectionDetail extends InspectionRow {
  items: {
    code: string;
    text: string;
    basis: string;
    major: boolean;
    result: ItemResult;
    hazardCode: string | null;
  }[];
}

/** The SQL condition on `inspections` for a scope: what a person or token sees of hazards, they see of visits. */
export function inspectionScopeCondition(scope: ResolvedScope): SQL {
  if (scope.county) return sql`true`;
  const parts: SQL[] = [];
  if (scope.regionIds.length) parts.push(inArray(inspections.regionId, scope.regionIds));
  if (scope.departmentIds.length) parts.push(inArray(inspections.departmentId, scope.departmentIds));
  if (scope.enterpriseIds.length) parts.push(inArray(inspections.enterpriseId, scope.enterpriseIds));
  if (scope.personId !== null) {
    parts.push(
      eq(inspections.inspectorId, scope.personId),
      sql`${scope.personId}::int = any(${inspections.companionIds})`,
    );
  }
  if (parts.length === 0) return sql`false`;
  return parts.length === 1 ? parts[0]! : or(...parts)!;
}

/** Filters of the list: a date range (local days, inclusive) and the kind. */
export interface InspectionFilters {
  from?: LocalDate;
  to?: LocalDate;
  kind?: InspectionKind;
  enterpriseCode?: string;
}

function filterCondition(filters: InspectionFilters): SQL | undefined {
  return and(
    filters.from ? sql`${inspections.date} >= ${filters.from}` : undefined,
    filters.to ? sql`${inspections.date} <= ${filters.to}` : undefined,
    filters.kind ? eq(inspections.kind, filters.kind) : undefined,
    filters.enterpriseCode
      ? sql`${inspections.enterpriseId} = (select id from enterprises where code = ${filters.enterpriseCode})`
      : undefined,
  );
}

const inspector = people;

function selectRows(db: Db) {
  return db
    .select({
      id: inspections.id,
      code: sql<string>`${inspections.code}`,
      date: inspections.date,
      kind: sql<InspectionKind>`${inspections.kind}`,
      enterpriseCode: enterprises.code,
      enterpriseName: enterprises.name,
      townshipCode: regions.code,
      townshipName: regions.name,
      sector: inspections.sector,
      checklistCode: inspections.checklistCode,
      checklistName: inspections.checklistName,
      inspectorName: inspector.name,
      companionNames: sql<string[]>`coalesce((select array_agg(c.name order by c.name) from people c
        where c.id = any(${inspections.companionIds})), '{}')`,
      pass: inspections.passCount,
      fail: inspections.failCount,
      fixedOnSite: inspections.fixedOnSiteCount,
      na: inspections.naCount,
      findings: inspections.findings,
      submittedAt: sql<Date>`${inspections.submittedAt}`,
      hazardCodes: sql<string[]>`coalesce((select array_agg(h.code order by h.id) from hazards h
        where h.inspection_id = ${inspections.id}), '{}')`,
    })
    .from(inspections)
    .innerJoin(enterprises, eq(enterprises.id, inspections.enterpriseId))
    .innerJoin(regions, eq(regions.id, inspections.regionId))
    .innerJoin(inspector, eq(inspector.id, inspections.inspectorId));
}

type SelectedRow = Awaited<ReturnType<ReturnType<typeof selectRows>['execute']>>[number];

function toRow(row: SelectedRow): InspectionRow {
  return {
    id: row.id,
    code: row.code,
    date: row.date,
    kind: row.kind,
    enterpriseCode: row.enterpriseCode,
    enterpriseName: row.enterpriseName,
    townshipCode: row.townshipCode,
    townshipName: row.townshipName,
    sector: row.sector,
    checklistCode: row.checklistCode,
    checklistName: row.checklistName,
    inspectorName: row.inspectorName,
    companionNames: row.companionNames ?? [],
    counts: { pass: row.pass, fail: row.fail, fixedOnSite: row.fixedOnSite, na: row.na },
    findings: row.findings,
    submittedAt: new Date(row.submittedAt),
    hazardCodes: row.hazardCodes ?? [],
  };
}

export class InspectionCursorError extends Error {}

/** The cursor is the last row's (date, id), newest first. */
function encodeCursor(row: { date: string; id: number }): string {
  return Buffer.from(JSON.stringify([row.date, row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { date: string; id: number } {
  try {
    const [date, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date) && Number.isSafeInteger(id)) {
      return { date, id: id as number };
    }
  } catch {
    // falls through
  }
  throw new InspectionCursorError('cursor 无效：请使用上一页答复中的 nextCursor');
}

const submitted = eq(inspections.status, 'submitted');

/** A page of submitted inspections in scope, newest visit first. */
export async function listInspections(
  db: Db,
  input: { where: SQL | undefined; filters?: InspectionFilters; limit: number; cursor?: string },
): Promise<{ rows: InspectionRow[]; nextCursor: string | null }> {
  const after = input.cursor ? decodeCursor(input.cursor) : undefined;
  const rows = await selectRows(db)
    .where(
      and(
        submitted,
        input.where,
        filterCondition(input.filters ?? {}),
        after ? sql`(${inspections.date}, ${inspections.id}) < (${after.date}::date, ${after.id}::int)` : undefined,
      ),
    )
    .orderBy(desc(inspections.date), desc(inspections.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit).map(toRow);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null };
}

/** One submitted inspection by its code, with its items, if the scope sees it. */
export async function findInspectionByCode(
  db: Db,
  code: string,
  where: SQL | undefined,
): Promise<InspectionDetail | null> {
  const [row] = await selectRows(db)
    .where(and(submitted, eq(inspections.code, code), where))
    .limit(1);
  if (!row) return null;
  const items = await db
    .select({
      code: inspectionItems.code,
      text: inspectionItems.text,
      basis: inspectionItems.basis,
      major: inspectionItems.major,
      result: sql<ItemResult>`${inspectionItems.result}`,
      hazardCode: hazards.code,
    })
    .from(inspectionItems)
    .leftJoin(hazards, eq(hazards.id, inspectionItems.hazardId))
    .where(eq(inspectionItems.inspectionId, row.id))
    .orderBy(asc(inspectionItems.position));
  return { ...toRow(row), items };
}

/** Every submitted inspection in scope, oldest first, in batches (the ledger's 检查记录 sheet). */
export async function* inspectionLedgerBatches(
  db: Db,
  where: SQL | undefined,
  batchSize = 2000,
): AsyncGenerator<InspectionRow[]> {
  let after: { date: string; id: number } | undefined;
  for (;;) {
    const rows = await selectRows(db)
      .where(
        and(
          submitted,
          where,
          after ? sql`(${inspections.date}, ${inspections.id}) > (${after.date}::date, ${after.id}::int)` : undefined,
        ),
      )
      .orderBy(asc(inspections.date), asc(inspections.id))
      .limit(batchSize);
    if (rows.length === 0) return;
    const batch = rows.map(toRow);
    yield batch;
    if (rows.length < batchSize) return;
    const last = batch.at(-1)!;
    after = { date: last.date, id: last.id };
  }
}

/** Government inspections and enterprise self-inspections, each counted apart (product.md: 主体责任 vs. 监管). */
export interface InspectionCounts {
  inspections: number;
  /** Distinct units inspected. */
  unitsCovered: number;
  /** Inspections where nothing was found (every item pass or n.a.): the proof of coverage. */
  clean: number;
  /** Hazards found: failed items and 立查立改 items. */
  hazardsFound: number;
  /** Of those, fixed during the visit (立查立改). */
  fixedOnSite: number;
  /** hazardsFound ÷ inspections, 0 without inspections. */
  hazardsPerInspection: number;
  /** fixedOnSite ÷ hazardsFound, 0 without hazards. */
  fixedOnSiteShare: number;
}

export interface InspectionStats {
  government: InspectionCounts;
  self: InspectionCounts;
}

/** Counts of submitted inspections in scope, optionally within local days [from, to]. One grouped scan. */
export async function computeInspectionStats(
  db: Db,
  input: { where: SQL | undefined; from?: LocalDate; to?: LocalDate },
): Promise<InspectionStats> {
  const rows = rowsOf<{
    self: boolean | string;
    inspections: number;
    units: number;
    clean: number;
    found: number;
    fixed: number;
  }>(
    await db.execute(sql`
      select (${inspections.kind} = 'self') as self,
             count(*)::int as inspections,
             count(distinct ${inspections.enterpriseId})::int as units,
             count(*) filter (where ${inspections.failCount} + ${inspections.fixedOnSiteCount} = 0)::int as clean,
             coalesce(sum(${inspections.failCount} + ${inspections.fixedOnSiteCount}), 0)::int as found,
             coalesce(sum(${inspections.fixedOnSiteCount}), 0)::int as fixed
      from ${inspections}
      where ${and(submitted, input.where, filterCondition({ from: input.from, to: input.to }))}
      group by 1`),
  );
  const counts = (self: boolean): InspectionCounts => {
    const row = rows.find((r) => (r.self === true || r.self === 't') === self);
    const n = Number(row?.inspections ?? 0);
    const found = Number(row?.found ?? 0);
    const fixed = Number(row?.fixed ?? 0);
    return {
      inspections: n,
      unitsCovered: Number(row?.units ?? 0),
      clean: Number(row?.clean ?? 0),
      hazardsFound: found,
      fixedOnSite: fixed,
      hazardsPerInspection: n ? round(found / n) : 0,
      fixedOnSiteShare: found ? round(fixed / found) : 0,
    };
  };
  return { government: counts(false), self: counts(true) };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
