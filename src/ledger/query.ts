/**
 * Reading the ledger: one hazard row with the names people read (unit, township, people), lists in a stable order
 * with an opaque keyset cursor, and batches for the streamed export. Every query takes the scope condition.
 */
import { and, asc, desc, eq, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client.js';
import { departments, enterprises, hazards, people, regions, tips } from '../db/schema/index.js';
import type { HazardSource } from '../domain/inspection.js';
import type { HazardGrade, HazardStatus, LocalDate, SupervisionLevel } from '../domain/vocabulary.js';

export interface LedgerRow {
  id: number;
  code: string;
  enterpriseCode: string;
  enterpriseName: string;
  townshipCode: string;
  townshipName: string;
  departmentName: string | null;
  sector: string;
  grade: HazardGrade;
  status: HazardStatus;
  description: string;
  location: string;
  measures: string;
  standard: string;
  deadline: LocalDate;
  reportedAt: Date;
  reporterName: string;
  responsibleName: string | null;
  rectification: string | null;
  rectifiedAt: Date | null;
  closedByName: string | null;
  closedAt: Date | null;
  supervision: SupervisionLevel;
  /** 挂牌督办 (kept after 摘牌). */
  listed: boolean;
  suspended: boolean;
  /** How it was found (上报, 检查发现, 企业自查) and by which inspection; 立查立改 hazards are closed at once. */
  source: HazardSource;
  inspectionCode: string | null;
  /** 群众举报: the tip's code, and 实名 or 匿名 (whether the tipster gave a name or phone), never who; null otherwise. */
  tipCode: string | null;
  tipster: '实名' | '匿名' | null;
  fixedOnSite: boolean;
  /** 判定依据: the clause cited (as stored) and its code on the pick list. */
  basis: string | null;
  basisCode: string | null;
}

const responsible = alias(people, 'responsible');
const reporter = alias(people, 'reporter');
const closer = alias(people, 'closer');

const rowColumns = {
  id: hazards.id,
  code: hazards.code,
  enterpriseCode: enterprises.code,
  enterpriseName: enterprises.name,
  townshipCode: regions.code,
  townshipName: regions.name,
  departmentName: departments.name,
  sector: hazards.sector,
  grade: sql<HazardGrade>`${hazards.grade}`,
  status: sql<HazardStatus>`${hazards.status}`,
  description: hazards.description,
  location: hazards.location,
  measures: hazards.measures,
  standard: hazards.standard,
  deadline: hazards.deadline,
  reportedAt: hazards.reportedAt,
  reporterName: reporter.name,
  responsibleName: responsible.name,
  rectification: hazards.rectification,
  rectifiedAt: hazards.rectifiedAt,
  closedByName: closer.name,
  closedAt: hazards.closedAt,
  supervision: sql<SupervisionLevel>`${hazards.supervision}`,
  listed: sql<boolean>`${hazards.listingAuthority} is not null`,
  suspended: hazards.suspended,
  source: sql<HazardSource>`${hazards.source}`,
  inspectionCode: sql<string | null>`(select i.code from inspections i where i.id = ${hazards.inspectionId})`,
  // The tip a 群众举报 hazard came from (one join: tips.hazard_id is unique): its code, and 实名/匿名 — never who.
  tipCode: tips.code,
  tipster: sql<'实名' | '匿名' | null>`case when ${tips.id} is null then null
    when ${tips.tipsterName} is not null or ${tips.tipsterPhone} is not null then '实名' else '匿名' end`,
  fixedOnSite: hazards.fixedOnSite,
  basis: hazards.basis,
  basisCode: hazards.basisCode,
};

function selectRows(db: Db) {
  return db
    .select({
      ...rowColumns,
      reportedAtText: sql<string>`${hazards.reportedAt}::text`,
      year: hazards.year,
      sequence: hazards.sequence,
    })
    .from(hazards)
    .innerJoin(enterprises, eq(enterprises.id, hazards.enterpriseId))
    .innerJoin(regions, eq(regions.id, hazards.regionId))
    .leftJoin(departments, eq(departments.id, hazards.departmentId))
    .innerJoin(reporter, eq(reporter.id, hazards.reporterId))
    .leftJoin(tips, eq(tips.hazardId, hazards.id))
    .leftJoin(responsible, eq(responsible.id, hazards.responsibleId))
    .leftJoin(closer, eq(closer.id, hazards.closedById));
}

type SelectedRow = LedgerRow & { reportedAtText: string; year: number; sequence: number };

function toLedgerRow(row: SelectedRow): LedgerRow {
  const { reportedAtText: _t, year: _y, sequence: _s, ...rest } = row;
  return rest;
}

export const SORTS = ['-reported_at', 'reported_at', '-deadline', 'deadline', '-code', 'code'] as const;
export type Sort = (typeof SORTS)[number];
export const DEFAULT_SORT: Sort = '-reported_at';

/** The cursor's contents: the sort it belongs to and the last row's key. Opaque to clients (base64url JSON). */
interface CursorKey {
  s: Sort;
  k: [string | number, number];
}

export class CursorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CursorError';
  }
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, sort: Sort): CursorKey {
  let key: CursorKey;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorKey;
  } catch {
    throw new CursorError('cursor 无效：请使用上一页返回的 nextCursor 原样传回');
  }
  if (
    !key ||
    typeof key !== 'object' ||
    !SORTS.includes(key.s) ||
    !Array.isArray(key.k) ||
    key.k.length !== 2 ||
    !['string', 'number'].includes(typeof key.k[0]) ||
    !Number.isSafeInteger(key.k[1])
  ) {
    throw new CursorError('cursor 无效：请使用上一页返回的 nextCursor 原样传回');
  }
  if (key.s !== sort)
    throw new CursorError(`cursor 属于排序 ${key.s}，与本次的 sort=${sort} 不一致；换排序请从第一页开始`);
  return key;
}

function order(sort: Sort): SQL[] {
  const dir = sort.startsWith('-') ? desc : asc;
  switch (sort.replace(/^-/, '')) {
    case 'deadline':
      return [dir(hazards.deadline), dir(hazards.id)];
    case 'code':
      return [dir(hazards.year), dir(hazards.sequence)];
    default:
      return [dir(hazards.reportedAt), dir(hazards.id)];
  }
}

function after(key: CursorKey): SQL {
  const op = key.s.startsWith('-') ? sql`<` : sql`>`;
  const [value, id] = key.k;
  switch (key.s.replace(/^-/, '')) {
    case 'deadline':
      return sql`(${hazards.deadline}, ${hazards.id}) ${op} (${String(value)}::date, ${id})`;
    case 'code':
      return sql`(${hazards.year}, ${hazards.sequence}) ${op} (${Number(value)}, ${id})`;
    default:
      // The timestamp's own text (microseconds and offset) round-trips exactly; a JS Date would lose microseconds.
      return sql`(${hazards.reportedAt}, ${hazards.id}) ${op} (${String(value)}::timestamptz, ${id})`;
  }
}

function keyOf(row: SelectedRow, sort: Sort): CursorKey {
  switch (sort.replace(/^-/, '')) {
    case 'deadline':
      return { s: sort, k: [row.deadline, row.id] };
    case 'code':
      return { s: sort, k: [row.year, row.sequence] };
    default:
      return { s: sort, k: [row.reportedAtText, row.id] };
  }
}

export interface Page {
  rows: LedgerRow[];
  nextCursor: string | null;
}

/** One page in a stable order; `cursor` continues where the previous page ended, even if rows were added since. */
export async function listHazards(
  db: Db,
  input: { where: SQL | undefined; sort: Sort; limit: number; cursor?: string | undefined },
): Promise<Page> {
  const conditions = [input.where];
  if (input.cursor) conditions.push(after(decodeCursor(input.cursor, input.sort)));
  const rows = (await selectRows(db)
    .where(and(...conditions))
    .orderBy(...order(input.sort))
    .limit(input.limit + 1)) as SelectedRow[];
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    rows: page.map(toLedgerRow),
    nextCursor: rows.length > input.limit && last ? encodeCursor(keyOf(last, input.sort)) : null,
  };
}

/**
 * The ledger in order of discovery (发现时间, then id), batch by batch with a keyset: memory holds one batch however
 * many rows there are, and no connection is held between batches.
 */
export async function* ledgerBatches(db: Db, where: SQL | undefined, batchSize = 2000): AsyncGenerator<LedgerRow[]> {
  let cursor: CursorKey | undefined;
  for (;;) {
    const conditions = [where];
    if (cursor) conditions.push(after(cursor));
    const rows = (await selectRows(db)
      .where(and(...conditions))
      .orderBy(...order('reported_at'))
      .limit(batchSize)) as SelectedRow[];
    if (rows.length === 0) return;
    yield rows.map(toLedgerRow);
    if (rows.length < batchSize) return;
    cursor = keyOf(rows.at(-1)!, 'reported_at');
  }
}

/** One hazard by its canonical code, if the scope sees it. */
export async function findHazardByCode(db: Db, code: string, scope: SQL): Promise<LedgerRow | null> {
  const [row] = (await selectRows(db)
    .where(and(eq(hazards.code, code), scope))
    .limit(1)) as SelectedRow[];
  return row ? toLedgerRow(row) : null;
}
