/**
 * The ledger (台账) as an xlsx, written with exceljs' streaming WorkbookWriter: rows are committed batch by batch,
 * so memory stays flat whatever the row count. Text that a spreadsheet would read as a formula is escaped. Each
 * sheet opens with a title row and a row naming the scope and the export date; times and deadlines are real date
 * cells; it prints landscape, one page wide, the header row repeated.
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Calendar } from '../domain/index.js';
import { HAZARD_SOURCE_LABELS, INSPECTION_KIND_LABELS } from '../domain/inspection.js';
import { GRADE_LABELS, STATUS_LABELS } from '../domain/vocabulary.js';
import type { InspectionRow } from './inspections.js';
import type { LedgerRow } from './query.js';
import { dateCell, dateTimeCell, STATUTORY_PAGE_SETUP } from './statutory-xlsx.js';
import type { TipStats } from './tip-stats.js';

const DATE = 'yyyy-mm-dd';
const DATE_TIME = 'yyyy-mm-dd hh:mm';

/** The columns counties use, in this order. */
export const LEDGER_COLUMNS = [
  { header: '序号', width: 7 },
  { header: '隐患编号', width: 17 },
  { header: '单位名称', width: 26 },
  { header: '所属乡镇', width: 12 },
  { header: '行业', width: 12 },
  { header: '主管部门', width: 16 },
  { header: '隐患等级', width: 10 },
  { header: '隐患描述', width: 40 },
  { header: '隐患位置', width: 20 },
  { header: '发现时间', width: 17, numFmt: DATE_TIME },
  { header: '检查人', width: 10 },
  { header: '整改措施', width: 30 },
  { header: '整改标准', width: 30 },
  { header: '整改期限', width: 12, numFmt: DATE },
  { header: '责任人', width: 10 },
  { header: '整改情况', width: 30 },
  { header: '验收人', width: 10 },
  { header: '验收时间', width: 17, numFmt: DATE_TIME },
  { header: '状态', width: 14 },
  { header: '是否挂牌督办', width: 14 },
  { header: '督办层级', width: 10 },
  { header: '是否停产停业', width: 12 },
  { header: '来源', width: 10 },
  /** 群众举报 only: 实名 / 匿名 — never who (the tipster's identity stays with the handlers). */
  { header: '举报人', width: 8 },
  { header: '检查编号', width: 17 },
  { header: '立查立改', width: 10 },
  { header: '判定依据', width: 36 },
] as const;

export const LEDGER_HEADERS: readonly string[] = LEDGER_COLUMNS.map((c) => c.header);

/**
 * Formula injection (CSV/xlsx injection): a cell starting with = + - @ or a tab/CR is prefixed with a quote, so the
 * spreadsheet shows it as text and never evaluates it.
 */
export function escapeCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** 督办 raised by escalation: a column of its own, since 挂牌督办 is the listing of a major hazard alone. */
const SUPERVISION_CELL = { none: '—', township: '乡镇督办', county: '县级督办' } as const;

/** 是否挂牌督办: 是 while listed, 已摘牌 after, 否 for every hazard never listed (general hazards always). */
const listedCell = (row: Pick<LedgerRow, 'listed' | 'status'>) =>
  row.listed ? (row.status === 'closed' ? '已摘牌' : '是') : '否';

/** The status cell: its label, with 已超期 for an overdue hazard. */
export function statusCell(row: Pick<LedgerRow, 'status' | 'deadline'>, today: string): string {
  const label = STATUS_LABELS[row.status] ?? row.status;
  const overdue = (row.status === 'reported' || row.status === 'rectifying') && row.deadline < today;
  return overdue ? `${label}（已超期）` : label;
}

/** One ledger row as cell values, in LEDGER_COLUMNS order. */
export function ledgerCells(
  row: LedgerRow,
  index: number,
  calendar: Calendar,
  today: string,
): (string | number | Date | null)[] {
  // Empty stays empty (no cell), rather than an empty string cell.
  const text = (value: string | null) => (value ? escapeCell(value) : null);
  return [
    index,
    row.code,
    text(row.enterpriseName),
    text(row.townshipName),
    text(row.sector),
    text(row.departmentName),
    GRADE_LABELS[row.grade] ?? row.grade,
    text(row.description),
    text(row.location),
    dateTimeCell(calendar, row.reportedAt),
    text(row.reporterName),
    text(row.measures),
    text(row.standard),
    dateCell(row.deadline),
    text(row.responsibleName),
    text(row.rectification),
    text(row.closedByName),
    dateTimeCell(calendar, row.closedAt),
    statusCell(row, today),
    listedCell(row),
    SUPERVISION_CELL[row.supervision] ?? row.supervision,
    row.suspended ? '是' : '否',
    HAZARD_SOURCE_LABELS[row.source] ?? row.source,
    row.tipster,
    row.inspectionCode,
    row.fixedOnSite ? '是' : '否',
    text(row.basis),
  ];
}

/** The 检查记录 sheet: one row per submitted inspection, the clean ones included (the proof of coverage). */
export const INSPECTION_COLUMNS = [
  { header: '序号', width: 7 },
  { header: '检查编号', width: 17 },
  { header: '检查日期', width: 12, numFmt: DATE },
  { header: '检查类型', width: 10 },
  { header: '单位名称', width: 26 },
  { header: '所属乡镇', width: 12 },
  { header: '行业', width: 12 },
  { header: '检查表', width: 26 },
  { header: '检查人', width: 10 },
  { header: '同行检查人', width: 16 },
  { header: '合格', width: 7 },
  { header: '不合格', width: 7 },
  { header: '立查立改', width: 9 },
  { header: '不适用', width: 7 },
  { header: '发现隐患', width: 30 },
  { header: '检查情况', width: 40 },
  { header: '提交时间', width: 17, numFmt: DATE_TIME },
] as const;

export function inspectionCells(
  row: InspectionRow,
  index: number,
  calendar: Calendar,
): (string | number | Date | null)[] {
  const text = (value: string | null) => (value ? escapeCell(value) : null);
  return [
    index,
    row.code,
    dateCell(row.date),
    INSPECTION_KIND_LABELS[row.kind] ?? row.kind,
    text(row.enterpriseName),
    text(row.townshipName),
    text(row.sector),
    text(row.checklistName),
    text(row.inspectorName),
    text(row.companionNames.join('、')),
    row.counts.pass,
    row.counts.fail,
    row.counts.fixedOnSite,
    row.counts.na,
    row.hazardCodes.length ? row.hazardCodes.join('、') : '未发现隐患',
    text(row.findings),
    dateTimeCell(calendar, row.submittedAt),
  ];
}

/**
 * Streams the ledger into `output` (an HTTP response, a file, a buffer collector) and resolves with the numbers of
 * rows once the workbook is complete. Between batches the event loop turns, so the zip stream can drain.
 */
export async function writeLedgerXlsx(
  output: Writable,
  batches: AsyncIterable<LedgerRow[]>,
  options: {
    calendar: Calendar;
    now: Date;
    sheetName?: string;
    /** The title's reporting unit (COUNTY_NAME, else the directory's root region). */
    reportingUnit?: string;
    /** The scope exported, e.g. 全县 or 城关镇. */
    scopeName?: string;
    /** The inspections in the same scope: a second sheet 检查记录. */
    inspections?: AsyncIterable<InspectionRow[]>;
    /** 群众举报 in the same scope: a sheet of its counts (never a tipster: the figures only). */
    tips?: TipStats;
  },
): Promise<{ hazards: number; inspections: number }> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: output,
    useStyles: true,
    useSharedStrings: false,
    zip: { zlib: { level: 1 } },
  });
  workbook.creator = 'hazard-bot';
  workbook.created = options.now;
  const today = options.calendar.localDate(options.now);
  const unit = options.reportingUnit ?? '';
  const sheet = openSheet(workbook, options.sheetName ?? '隐患台账', `${unit}隐患排查治理台账`, LEDGER_COLUMNS, {
    scopeName: options.scopeName,
    today,
  });
  let count = 0;
  let visitCount = 0;
  for await (const batch of batches) {
    for (const row of batch) {
      count += 1;
      addRow(sheet, ledgerCells(row, count, options.calendar, today), LEDGER_STYLES);
    }
    await waitForDrain(output);
    await waitForZip(sheet);
  }
  sheet.commit();
  if (options.inspections) {
    const visits = openSheet(workbook, '检查记录', `${unit}安全生产检查记录`, INSPECTION_COLUMNS, {
      scopeName: options.scopeName,
      today,
    });
    for await (const batch of options.inspections) {
      for (const row of batch) addRow(visits, inspectionCells(row, ++visitCount, options.calendar), INSPECTION_STYLES);
      await waitForDrain(output);
      await waitForZip(visits);
    }
    visits.commit();
  }
  // Only where the scope has tips: a ledger without any keeps its two sheets.
  if (options.tips && options.tips.total > 0)
    writeTipSheet(workbook, options.tips, unit, { scopeName: options.scopeName, today });
  await workbook.commit();
  return { hazards: count, inspections: visitCount };
}

const TIP_COLUMNS = [
  { header: '项目', width: 36 },
  { header: '件数', width: 12 },
  { header: '金额（元）', width: 16, numFmt: '0.00' },
] as const;

/** 群众举报's sheet: by source, by result, the working days to answer, the rewards. */
function writeTipSheet(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  t: TipStats,
  unit: string,
  info: { scopeName?: string | undefined; today: string },
): void {
  const sheet = openSheet(workbook, '群众举报', `${unit}群众举报统计`, TIP_COLUMNS, info);
  const rows: [string, number | null, number | null][] = [
    ['举报总数', t.total, null],
    ...t.bySource.map((s): [string, number, null] => [`　来源：${s.label}`, s.count, null]),
    ['　实名举报', t.named, null],
    ['　匿名举报', t.anonymous, null],
    ['受理', t.accepted, null],
    ['不予受理', t.declined.total, null],
    ...t.declined.byReason.map((r): [string, number, null] => [`　其中：${r.label}`, r.count, null]),
    ['经核查属实', t.confirmed, null],
    ['经核查不属实', t.unfounded, null],
    ['待处理（未受理或核查中）', t.open, null],
    ['已答复举报人', t.answerDays.answered, null],
    ['答复用时中位数（工作日）', t.answerDays.median, null],
    ['答复用时最长（工作日）', t.answerDays.max, null],
    ['举报奖励', t.rewards.count, t.rewards.amountYuan],
    ['　其中：已发放', t.rewards.paid, t.rewards.paidYuan],
  ];
  for (const row of rows) sheet.addRow(row).commit();
  sheet.commit();
}

/**
 * One style object per column, shared by all of its cells. exceljs gives every new cell a style object of its own
 * (merged from the row's and the column's) and, when it writes the cell, renders that style to XML to find its id —
 * unless it has seen the very same object before. Handing each cell its column's object makes that a lookup; the
 * rendering was most of a large ledger's export time (docs/benchmarks.md, bench:ledger).
 */
function columnStyles(columns: readonly { header: string; numFmt?: string }[]): Partial<ExcelJS.Style>[] {
  const plain: Partial<ExcelJS.Style> = {};
  return columns.map((c) => (c.numFmt ? { numFmt: c.numFmt } : plain));
}

const LEDGER_STYLES = columnStyles(LEDGER_COLUMNS);
const INSPECTION_STYLES = columnStyles(INSPECTION_COLUMNS);

/** Adds and commits a data row, each cell styled by its column's shared object (columnStyles). */
function addRow(sheet: ExcelJS.Worksheet, cells: unknown[], styles: Partial<ExcelJS.Style>[]): void {
  const row = sheet.addRow(cells);
  row.eachCell({ includeEmpty: true }, (cell, column) => {
    cell.style = styles[column - 1] ?? {};
  });
  row.commit();
}

/** The first row of data: after the title, the scope-and-date row and the header. */
export const LEDGER_FIRST_DATA_ROW = 4;

/**
 * A sheet with its title (row 1), scope and export date (row 2, the date a date cell) and header (row 3), committed;
 * the columns' date formats set; printed landscape, fit to width, the header repeated on every page.
 */
function openSheet(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  title: string,
  columns: readonly { header: string; width: number; numFmt?: string }[],
  info: { scopeName?: string | undefined; today: string },
): ExcelJS.Worksheet {
  const sheet = workbook.addWorksheet(name, {
    views: [{ state: 'frozen', ySplit: 3 }],
    pageSetup: { ...STATUTORY_PAGE_SETUP, printTitlesRow: '3:3' },
  });
  sheet.columns = columns.map((c) => ({ key: c.header, width: c.width, style: c.numFmt ? { numFmt: c.numFmt } : {} }));
  const titleRow = sheet.getRow(1);
  titleRow.getCell(1).value = title;
  titleRow.getCell(1).font = { bold: true, size: 16 };
  sheet.mergeCells(1, 1, 1, Math.min(columns.length, 12));
  titleRow.commit();
  const infoRow = sheet.getRow(2);
  infoRow.getCell(1).value = `范围：${info.scopeName ?? '全县'}`;
  infoRow.getCell(3).value = '导出日期';
  infoRow.getCell(4).value = dateCell(info.today);
  infoRow.getCell(4).numFmt = DATE;
  infoRow.commit();
  const header = sheet.getRow(3);
  header.values = columns.map((c) => c.header);
  header.font = { bold: true };
  header.commit();
  return sheet;
}

/** Uncompressed sheet XML allowed to wait for the zip before the next batch is written. */
const MAX_ZIP_BACKLOG = 1024 * 1024;

/**
 * exceljs hands the sheet's XML to the zip without heeding backpressure, so when rows come faster than deflate
 * compresses, the backlog (and memory) grows with the row count. This waits for the zip to catch up. It reads
 * exceljs internals (the sheet stream's pipe, a readable-stream PassThrough); should they change, it waits for
 * nothing, and only the flat-memory property is lost — the file stays correct.
 */
async function waitForZip(sheet: ExcelJS.Worksheet): Promise<void> {
  const stream = (sheet as unknown as { stream?: { pipes?: { _writableState?: { length?: number } }[] } }).stream;
  const pending = () => stream?.pipes?.[0]?._writableState?.length ?? 0;
  while (pending() > MAX_ZIP_BACKLOG) await new Promise<void>((resolve) => setTimeout(resolve, 1));
}

async function waitForDrain(output: Writable): Promise<void> {
  if (output.writableNeedDrain) await new Promise<void>((resolve) => output.once('drain', () => resolve()));
  else await new Promise<void>((resolve) => setImmediate(resolve));
}
