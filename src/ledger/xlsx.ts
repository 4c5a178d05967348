/**
 * The ledger (台账) as an xlsx, written with exceljs' streaming WorkbookWriter: rows are committed batch by batch,
 * so memory stays flat whatever the row count. Text that a spreadsheet would read as a formula is escaped.
 */
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Calendar } from '../domain/index.js';
import { HAZARD_SOURCE_LABELS, INSPECTION_KIND_LABELS } from '../domain/inspection.js';
import { GRADE_LABELS, STATUS_LABELS } from '../domain/vocabulary.js';
import type { InspectionRow } from './inspections.js';
import type { LedgerRow } from './query.js';

/** The columns counties use, in this order. */
export const LEDGER_COLUMNS = [
  { header: '序号', width: 7 },
  { header: '隐患编号', width: 17 },
  { header: '单位名称', width: 26 },
  { header: '所属乡镇', width: 12 },
  { header: '行业', width: 12 },
  { header: '隐患等级', width: 10 },
  { header: '隐患描述', width: 40 },
  { header: '发现时间', width: 17 },
  { header: '检查人', width: 10 },
  { header: '整改措施', width: 30 },
  { header: '整改标准', width: 30 },
  { header: '整改期限', width: 12 },
  { header: '责任人', width: 10 },
  { header: '整改情况', width: 30 },
  { header: '验收人', width: 10 },
  { header: '验收时间', width: 17 },
  { header: '状态', width: 14 },
  { header: '是否挂牌督办', width: 14 },
  { header: '督办层级', width: 10 },
  { header: '是否停产停业', width: 12 },
  { header: '来源', width: 10 },
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

function localDateTime(calendar: Calendar, instant: Date | null): string | null {
  if (!instant) return null;
  const local = calendar.toLocal(instant);
  return `${local.date} ${local.time}`;
}

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
): (string | number | null)[] {
  // Empty stays empty (no cell), rather than an empty string cell.
  const text = (value: string | null) => (value ? escapeCell(value) : null);
  return [
    index,
    row.code,
    text(row.enterpriseName),
    text(row.townshipName),
    text(row.sector),
    GRADE_LABELS[row.grade] ?? row.grade,
    text(row.description),
    localDateTime(calendar, row.reportedAt),
    text(row.reporterName),
    text(row.measures),
    text(row.standard),
    row.deadline,
    text(row.responsibleName),
    text(row.rectification),
    text(row.closedByName),
    localDateTime(calendar, row.closedAt),
    statusCell(row, today),
    listedCell(row),
    SUPERVISION_CELL[row.supervision] ?? row.supervision,
    row.suspended ? '是' : '否',
    HAZARD_SOURCE_LABELS[row.source] ?? row.source,
    row.inspectionCode,
    row.fixedOnSite ? '是' : '否',
    text(row.basis),
  ];
}

/** The 检查记录 sheet: one row per submitted inspection, the clean ones included (the proof of coverage). */
export const INSPECTION_COLUMNS = [
  { header: '序号', width: 7 },
  { header: '检查编号', width: 17 },
  { header: '检查日期', width: 12 },
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
  { header: '提交时间', width: 17 },
] as const;

export function inspectionCells(row: InspectionRow, index: number, calendar: Calendar): (string | number | null)[] {
  const text = (value: string | null) => (value ? escapeCell(value) : null);
  return [
    index,
    row.code,
    row.date,
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
    localDateTime(calendar, row.submittedAt),
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
    /** The inspections in the same scope: a second sheet 检查记录. */
    inspections?: AsyncIterable<InspectionRow[]>;
  },
): Promise<{ hazards: number; inspections: number }> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: output,
    useStyles: false,
    useSharedStrings: false,
    zip: { zlib: { level: 1 } },
  });
  workbook.creator = 'hazard-bot';
  workbook.created = options.now;
  const sheet = workbook.addWorksheet(options.sheetName ?? '隐患台账', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = LEDGER_COLUMNS.map((c) => ({ header: c.header, width: c.width }));
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).commit();
  const today = options.calendar.localDate(options.now);
  let count = 0;
  let visitCount = 0;
  for await (const batch of batches) {
    for (const row of batch) {
      count += 1;
      sheet.addRow(ledgerCells(row, count, options.calendar, today)).commit();
    }
    await waitForDrain(output);
    await waitForZip(sheet);
  }
  sheet.commit();
  if (options.inspections) {
    const visits = workbook.addWorksheet('检查记录', { views: [{ state: 'frozen', ySplit: 1 }] });
    visits.columns = INSPECTION_COLUMNS.map((c) => ({ header: c.header, width: c.width }));
    visits.getRow(1).font = { bold: true };
    visits.getRow(1).commit();
    for await (const batch of options.inspections) {
      for (const row of batch) visits.addRow(inspectionCells(row, ++visitCount, options.calendar)).commit();
      await waitForDrain(output);
      await waitForZip(visits);
    }
    visits.commit();
  }
  await workbook.commit();
  return { hazards: count, inspections: visitCount };
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
