/**
 * Ledger filters (乡镇、行业、等级、状态、是否超期、发现时间范围), shared by the read API, the xlsx export and the
 * statistics. Parsing is pure and answers in Chinese with the parameter to fix; the SQL needs the region tree.
 */
import { and, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { hazards, regions } from '../db/schema/index.js';
import { addCalendarDays, type Calendar, isLocalDate } from '../domain/index.js';
import {
  HAZARD_GRADES,
  HAZARD_STATUSES,
  type HazardGrade,
  type HazardStatus,
  type LocalDate,
} from '../domain/vocabulary.js';
import { withDescendantRegions } from './scope.js';

export interface LedgerFilters {
  /** Region codes (乡镇编码); each includes the regions below it. */
  townships?: string[];
  sectors?: string[];
  grades?: HazardGrade[];
  statuses?: HazardStatus[];
  /** true: only overdue (超期) hazards; false: only those that are not. */
  overdue?: boolean;
  /** 发现时间 from this local day (inclusive)… */
  from?: LocalDate;
  /** …to this local day (inclusive). */
  to?: LocalDate;
}

export class FilterError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
    this.name = 'FilterError';
  }
}

/** The query parameters the filters read; anything else is the caller's business. */
export const FILTER_PARAMETERS = ['township', 'sector', 'grade', 'status', 'overdue', 'from', 'to'] as const;

const GRADE_WORDS: Record<string, HazardGrade> = {
  一般: 'general',
  一般隐患: 'general',
  重大: 'major',
  重大隐患: 'major',
};
const STATUS_WORDS: Record<string, HazardStatus[]> = {
  open: ['reported', 'rectifying', 'pending_verification', 'pending_delisting'],
  未闭环: ['reported', 'rectifying', 'pending_verification', 'pending_delisting'],
  已登记: ['reported'],
  整改中: ['rectifying'],
  待验收: ['pending_verification'],
  待摘牌: ['pending_delisting'],
  已销号: ['closed'],
};

/** `a,b` or repeated parameters (`?status=a&status=b`) → a list of trimmed, non-empty values. */
function list(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(/[,，、]/));
  const cleaned = items.map((s) => s.trim()).filter(Boolean);
  return cleaned.length ? [...new Set(cleaned)] : undefined;
}

function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new FilterError(name, `参数 ${name} 只能给一次`);
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/** Reads the filters from query parameters. Throws FilterError naming the parameter and what to write instead. */
export function parseFilters(query: Record<string, unknown>): LedgerFilters {
  const filters: LedgerFilters = {};
  const townships = list(query.township);
  if (townships) filters.townships = townships;
  const sectors = list(query.sector);
  if (sectors) filters.sectors = sectors;

  const grades = list(query.grade);
  if (grades) {
    filters.grades = [
      ...new Set(
        grades.map((g) => {
          const grade = (HAZARD_GRADES as readonly string[]).includes(g) ? (g as HazardGrade) : GRADE_WORDS[g];
          if (!grade) throw new FilterError('grade', `隐患等级“${g}”无效；可用：general（一般）、major（重大）`);
          return grade;
        }),
      ),
    ];
  }

  const statuses = list(query.status);
  if (statuses) {
    filters.statuses = [
      ...new Set(
        statuses.flatMap((s) => {
          if ((HAZARD_STATUSES as readonly string[]).includes(s)) return [s as HazardStatus];
          const words = STATUS_WORDS[s];
          if (!words) {
            throw new FilterError('status', `状态“${s}”无效；可用：${HAZARD_STATUSES.join('、')}，或 open（未闭环）`);
          }
          return words;
        }),
      ),
    ];
  }

  const overdue = single(query, 'overdue');
  if (overdue !== undefined) {
    if (['true', '1', 'yes', '是'].includes(overdue)) filters.overdue = true;
    else if (['false', '0', 'no', '否'].includes(overdue)) filters.overdue = false;
    else throw new FilterError('overdue', `overdue 应为 true 或 false，收到“${overdue}”`);
  }

  for (const name of ['from', 'to'] as const) {
    const value = single(query, name);
    if (value === undefined) continue;
    if (!isLocalDate(value)) throw new FilterError(name, `${name} 应为日期 YYYY-MM-DD，收到“${value}”`);
    filters[name] = value;
  }
  if (filters.from && filters.to && filters.from > filters.to) {
    throw new FilterError('from', `开始日期 ${filters.from} 晚于结束日期 ${filters.to}`);
  }
  return filters;
}

/** Overdue (超期) as SQL: still with the responsible side and past the deadline's local day (see domain isOverdue). */
export function overdueCondition(today: LocalDate): SQL {
  return sql`(${hazards.status} in ('reported', 'rectifying') and ${hazards.deadline} < ${today})`;
}

/** The filters as one SQL condition on `hazards`. Throws FilterError for a township code that names no region. */
export async function filterCondition(
  db: Db,
  filters: LedgerFilters,
  calendar: Calendar,
  now: Date,
): Promise<SQL | undefined> {
  const parts: SQL[] = [];
  if (filters.townships) {
    const rows = await db
      .select({ id: regions.id, code: regions.code })
      .from(regions)
      .where(inArray(regions.code, filters.townships));
    const unknown = filters.townships.filter((code) => !rows.some((r) => r.code === code));
    if (unknown.length) throw new FilterError('township', `未知的乡镇编码：${unknown.join('、')}`);
    const ids = await withDescendantRegions(
      db,
      rows.map((r) => r.id),
    );
    parts.push(inArray(hazards.regionId, ids));
  }
  if (filters.sectors) parts.push(inArray(hazards.sector, filters.sectors));
  if (filters.grades) {
    parts.push(
      filters.grades.length === 1 ? eq(hazards.grade, filters.grades[0]!) : inArray(hazards.grade, filters.grades),
    );
  }
  if (filters.statuses) parts.push(inArray(hazards.status, filters.statuses));
  if (filters.overdue !== undefined) {
    const overdue = overdueCondition(calendar.localDate(now));
    parts.push(filters.overdue ? overdue : sql`not ${overdue}`);
  }
  if (filters.from) parts.push(gte(hazards.reportedAt, calendar.startOfLocalDay(filters.from)));
  if (filters.to) parts.push(lt(hazards.reportedAt, calendar.startOfLocalDay(addCalendarDays(filters.to, 1))));
  return parts.length ? and(...parts) : undefined;
}

/** A short Chinese description of active filters, for file names and card subtitles. */
export function describeFilters(filters: LedgerFilters): string {
  const parts: string[] = [];
  if (filters.townships) parts.push(`乡镇 ${filters.townships.join('、')}`);
  if (filters.sectors) parts.push(`行业 ${filters.sectors.join('、')}`);
  if (filters.grades) parts.push(filters.grades.map((g) => (g === 'major' ? '重大' : '一般')).join('、'));
  if (filters.statuses) parts.push(`状态 ${filters.statuses.join('、')}`);
  if (filters.overdue !== undefined) parts.push(filters.overdue ? '超期' : '未超期');
  if (filters.from || filters.to) parts.push(`${filters.from ?? '…'} 至 ${filters.to ?? '…'}`);
  return parts.join('，');
}
