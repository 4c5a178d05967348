/**
 * The county's 统计分析表 as a file a county hands upward as is: every township of the scope listed (zeros included,
 * "—" where a rate has no base), deactivated regions left out, a title row, the reporting unit, the period and the
 * date as real date cells, printed landscape on one page width with the header rows repeated.
 */

import type { SQL } from 'drizzle-orm';
import { eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import type { Db } from '../db/client.js';
import { regions } from '../db/schema/index.js';
import type { Calendar } from '../domain/index.js';
import type { StatutoryPeriod } from '../domain/statutory-period.js';
import type { LocalDate } from '../domain/vocabulary.js';
import type { ResolvedScope } from './scope.js';
import { type StatutoryRow, statutoryTable } from './statutory.js';

/** The county's name on its files: COUNTY_NAME, else the directory's one root region, else 本县. */
export async function reportingUnitName(db: Db, configured: string | undefined): Promise<string> {
  if (configured?.trim()) return configured.trim();
  const roots = (
    await db.select({ name: regions.name, parentId: regions.parentId }).from(regions).where(eq(regions.active, true))
  ).filter((r) => r.parentId === null);
  return roots.length === 1 ? roots[0]!.name : '本县';
}

export interface CountyTable {
  period: StatutoryPeriod;
  /** One row per active township of the scope, in code order, zeros included. */
  rows: StatutoryRow[];
  total: StatutoryRow;
  /** Hazards counted in the total but under no listed township (a deactivated region, the county level itself). */
  unlisted: number;
}

const blank = (code: string, name: string): StatutoryRow => ({
  code,
  name,
  general: { found: 0, rectified: 0, rate: 0 },
  major: { found: 0, rectified: 0, rate: 0, supervised: 0 },
  openAtEnd: 0,
});

/**
 * The 统计分析表 by township: the townships are the active regions one level below the root (the roots themselves
 * when the directory has several); hazards of a region deeper down count to its township. `scopes` (the token's and the request's) narrow the townships listed when they
 * are regions only.
 */
export async function countyTable(
  db: Db,
  input: { where: SQL | undefined; scopes: ResolvedScope[]; period: StatutoryPeriod; calendar: Calendar },
): Promise<CountyTable> {
  const table = await statutoryTable(db, { where: input.where, period: input.period, calendar: input.calendar });
  const all = await db
    .select({
      id: regions.id,
      code: regions.code,
      name: regions.name,
      parentId: regions.parentId,
      level: regions.level,
      active: regions.active,
    })
    .from(regions);
  const byId = new Map(all.map((r) => [r.id, r]));
  const byCode = new Map(all.map((r) => [r.code, r]));
  // A county directory has one root (the county) and its townships below; a directory of townships alone has them
  // as roots.
  const roots = all.filter((r) => r.parentId === null && r.active);
  const level = roots.length === 1 && all.some((r) => r.parentId === roots[0]!.id) ? 2 : 1;
  const townshipOf = (id: number | null): number | null => {
    let region = id === null ? undefined : byId.get(id);
    for (let depth = 0; region && depth < 32; depth++) {
      if (region.level === level) return region.id;
      region = region.parentId === null ? undefined : byId.get(region.parentId);
    }
    return null;
  };
  let townships = all.filter((r) => r.level === level && r.active);
  for (const scope of input.scopes) {
    if (scope.county || scope.departmentIds.length > 0 || scope.enterpriseIds.length > 0) continue;
    const within = new Set(scope.regionIds.map(townshipOf));
    townships = townships.filter((t) => within.has(t.id));
  }
  townships.sort((a, b) => a.code.localeCompare(b.code));
  const rows = new Map(townships.map((t) => [t.id, blank(t.code, t.name)]));
  let unlisted = 0;
  for (const source of table.rows) {
    const region = byCode.get(source.code);
    const target = rows.get(townshipOf(region?.id ?? null) ?? -1);
    if (!target) {
      unlisted += source.general.found + source.major.found;
      continue;
    }
    target.general.found += source.general.found;
    target.general.rectified += source.general.rectified;
    target.major.found += source.major.found;
    target.major.rectified += source.major.rectified;
    target.major.supervised += source.major.supervised;
    target.openAtEnd += source.openAtEnd;
  }
  return { period: input.period, rows: [...rows.values()], total: table.total, unlisted };
}

/** A local date as a date cell (midnight UTC: the spreadsheet shows the day whatever the reader's zone). */
export function dateCell(date: LocalDate): Date {
  return new Date(`${date}T00:00:00.000Z`);
}

/** A local date and time as a date-time cell. */
export function dateTimeCell(calendar: Calendar, instant: Date | null): Date | null {
  if (!instant) return null;
  const local = calendar.toLocal(instant);
  return new Date(`${local.date}T${local.time.slice(0, 5)}:00.000Z`);
}

const HEADER_1 = ['序号', '乡镇（街道）', '一般隐患', '', '', '重大隐患', '', '', '', '期末未整改数'];
const HEADER_2 = ['', '', '排查数', '已整改数', '整改率', '排查数', '已整改数', '整改率', '挂牌督办数', ''];
const WIDTHS = [7, 18, 10, 10, 10, 10, 10, 10, 12, 13];

export const STATUTORY_PAGE_SETUP = {
  orientation: 'landscape',
  paperSize: 9,
  fitToPage: true,
  fitToWidth: 1,
  fitToHeight: 0,
} as const;

/** The table as an xlsx. */
export async function buildCountyTableXlsx(input: {
  table: CountyTable;
  reportingUnit: string;
  /** The scope when narrower than the county, e.g. 城关镇. */
  scopeName: string | null;
  today: LocalDate;
}): Promise<Buffer> {
  const { table } = input;
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'hazard-bot';
  const sheet = workbook.addWorksheet('统计分析表', {
    pageSetup: { ...STATUTORY_PAGE_SETUP, printTitlesRow: '3:4' },
    views: [{ state: 'frozen', ySplit: 4 }],
  });
  sheet.columns = WIDTHS.map((width) => ({ width }));
  const title = `${input.reportingUnit}${table.period.label}隐患排查治理情况统计分析表`;
  sheet.getCell('A1').value = title;
  sheet.mergeCells('A1:J1');
  sheet.getCell('A1').font = { bold: true, size: 16 };
  sheet.getCell('A1').alignment = { horizontal: 'center' };
  sheet.getRow(1).height = 28;

  const row2 = sheet.getRow(2);
  row2.getCell(1).value = `填报单位：${input.reportingUnit}${input.scopeName ? `（${input.scopeName}）` : ''}`;
  sheet.mergeCells('A2:C2');
  row2.getCell(4).value = '统计期间';
  row2.getCell(5).value = dateCell(table.period.from);
  row2.getCell(6).value = '至';
  row2.getCell(7).value = dateCell(table.period.to);
  row2.getCell(9).value = '填报日期';
  row2.getCell(10).value = dateCell(input.today);
  for (const c of [5, 7, 10]) row2.getCell(c).numFmt = 'yyyy-mm-dd';

  sheet.getRow(3).values = HEADER_1;
  sheet.getRow(4).values = HEADER_2;
  for (const range of ['A3:A4', 'B3:B4', 'C3:E3', 'F3:I3', 'J3:J4']) sheet.mergeCells(range);
  for (const r of [3, 4]) {
    const row = sheet.getRow(r);
    row.font = { bold: true };
    row.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  }

  const rate = (done: number, base: number) => (base ? Math.round((done / base) * 10_000) / 10_000 : '—');
  const line = (index: number | string, r: StatutoryRow) => [
    index,
    r.name,
    r.general.found,
    r.general.rectified,
    rate(r.general.rectified, r.general.found),
    r.major.found,
    r.major.rectified,
    rate(r.major.rectified, r.major.found),
    r.major.supervised,
    r.openAtEnd,
  ];
  const rows = [...table.rows.map((r, i) => line(i + 1, r)), line('', { ...table.total, name: '合计' })];
  rows.forEach((values, i) => {
    const row = sheet.getRow(5 + i);
    row.values = values;
    for (const c of [5, 8]) {
      const cell = row.getCell(c);
      if (typeof cell.value === 'number') cell.numFmt = '0.0%';
      else cell.alignment = { horizontal: 'center' };
    }
  });
  sheet.getRow(4 + rows.length).font = { bold: true };
  for (let r = 3; r <= 4 + rows.length; r++) {
    for (let c = 1; c <= 10; c++) {
      sheet.getRow(r).getCell(c).border = {
        top: { style: 'thin' },
        left: { style: 'thin' },
        bottom: { style: 'thin' },
        right: { style: 'thin' },
      };
    }
  }
  const notes = [
    '注：1. 整改率 = 已整改数 ÷ 排查数（本期排查、期末前整改）；排查数为 0 时为“—”。期末未整改数含以前各期排查、期末仍未整改的隐患。',
    '2. 依据《安全生产事故隐患排查治理暂行规定》（总局令第16号）第十四条：季度表于下一季度第一个月 15 日前、年度表于次年 1 月 31 日前报送。',
    '3. 重大隐患治理方案和隐患治理资金投入情况本系统未记录，需要时请另行填写。',
  ];
  if (table.unlisted > 0) notes.push(`4. 合计含不属于所列乡镇（已停用的区域等）的隐患 ${table.unlisted} 项。`);
  let noteRow = 6 + rows.length;
  for (const note of notes) {
    sheet.getCell(`A${noteRow}`).value = note;
    sheet.mergeCells(`A${noteRow}:J${noteRow}`);
    sheet.getCell(`A${noteRow}`).alignment = { wrapText: true };
    noteRow += 1;
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
