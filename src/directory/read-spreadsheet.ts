import { parse as parseCsv } from 'csv-parse/sync';
import { readXlsxSheets, type SheetCell, type StreamedSheet, UnreadableWorkbookError } from '../uploads/xlsx-sheets.js';
import { checkZipUpload, UPLOAD_LIMITS, UploadTooLargeError, type ZipLimits } from '../uploads/zip-guard.js';
import { type RawTable, unescapeCell } from './spreadsheet-cells.js';

/** Raised when a file is not a readable workbook or CSV at all (as opposed to a bad row in it). */
export class UnreadableFileError extends Error {
  constructor(
    readonly fileName: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnreadableFileError';
  }
}

/**
 * Every sheet of an .xlsx workbook, read as a stream (see uploads/xlsx-sheets.ts) after the zip's directory passed the
 * size checks. Cell values are read as stored; formulas are never evaluated (see cellText). Stops at the row limit.
 */
export async function readXlsx(data: Buffer, fileName: string, limits: ZipLimits = UPLOAD_LIMITS): Promise<RawTable[]> {
  try {
    // Sizes and rows as the zip declares them, before anything is inflated; then the rows as they are, each sheet
    // made a table as soon as it is read (a sheet's cells and its table together are what a large file costs).
    checkZipUpload(data, fileName, limits);
    return await readXlsxSheets(data, fileName, limits, sheetTable);
  } catch (error) {
    if (error instanceof UploadTooLargeError) throw new UnreadableFileError(fileName, error.message);
    if (error instanceof UnreadableWorkbookError) {
      throw new UnreadableFileError(fileName, `${fileName} 不是有效的 xlsx 文件：${error.message}`);
    }
    throw error;
  }
}

/** A sheet as a table: row 1 holds the headers (as many as it has cells), the other rows the data under them. */
function sheetTable(sheet: StreamedSheet): RawTable {
  const table: RawTable = { name: sheet.name, headers: [], rows: [], problems: [] };
  const headerCells = sheet.rows.find((row) => row.row === 1)?.cells ?? [];
  for (const cell of headerCells) table.headers.push(cellText(cell).text ?? '');
  for (const { row, cells: values } of sheet.rows) {
    if (row === 1) continue;
    const cells: (string | undefined)[] = [];
    for (let c = 1; c <= table.headers.length; c++) {
      const { text, problem } = cellText(values[c - 1]);
      if (problem) table.problems.push({ row, column: table.headers[c - 1] ?? `第 ${c} 列`, reason: problem });
      cells.push(text);
    }
    if (cells.some((cell) => cell !== undefined)) table.rows.push({ row, cells });
  }
  return table;
}

/**
 * The text of a cell. A formula cell gives the value the spreadsheet program last computed and stored — what the
 * user saw — and is never evaluated here; without a stored value it is reported. Text is taken literally.
 */
function cellText(value: SheetCell | undefined): { text?: string; problem?: string } {
  if (value === null || value === undefined) return {};
  if (typeof value === 'string') return nonEmpty(unescapeCell(value.trim()));
  if (typeof value === 'number') return { text: String(value) };
  if (typeof value === 'boolean') return { text: value ? '是' : '否' };
  if (value instanceof Date) return { text: value.toISOString().slice(0, 10) };
  if ('formula' in value || 'sharedFormula' in value) {
    const result = (value as { result?: unknown }).result;
    if (result === undefined || result === null || typeof result === 'object') {
      return { problem: '单元格是没有保存计算结果的公式；请复制后“粘贴为数值”' };
    }
    return cellText(result as SheetCell);
  }
  if ('richText' in value)
    return nonEmpty(
      unescapeCell(
        value.richText
          .map((part) => part.text)
          .join('')
          .trim(),
      ),
    );
  if ('error' in value) return { problem: `单元格的值是错误 ${value.error}` };
  return { problem: '无法读取该单元格' };
}

function nonEmpty(text: string): { text?: string } {
  return text === '' ? {} : { text };
}

/** A CSV file (one list). UTF-8 with or without BOM; Excel's Chinese-Windows default (GBK) is recognised too. */
export function readCsv(
  data: Buffer,
  fileName: string,
  limits: Pick<ZipLimits, 'maxSheetRows'> = UPLOAD_LIMITS,
): RawTable {
  // Lines counted before parsing: the row limit holds for CSV as for a workbook.
  let lines = 0;
  for (let at = data.indexOf(10); at >= 0; at = data.indexOf(10, at + 1)) lines++;
  if (lines > limits.maxSheetRows) {
    throw new UnreadableFileError(
      fileName,
      `${fileName} 有 ${lines.toLocaleString('en-US')} 行，超过上限 ${limits.maxSheetRows.toLocaleString('en-US')} 行；请拆分后分别导入`,
    );
  }
  const text = decodeText(data);
  let records: string[][];
  try {
    records = parseCsv(text, { bom: true, relax_column_count: true, skip_empty_lines: false }) as string[][];
  } catch (error) {
    throw new UnreadableFileError(fileName, `${fileName} 不是有效的 CSV 文件：${(error as Error).message}`);
  }
  const [headers = [], ...rest] = records;
  const table: RawTable = { name: fileName, headers: headers.map((h) => h.trim()), rows: [], problems: [] };
  rest.forEach((record, index) => {
    const cells = table.headers.map((_, c) => {
      const cell = unescapeCell((record[c] ?? '').trim());
      return cell === '' ? undefined : cell;
    });
    if (cells.some((cell) => cell !== undefined)) table.rows.push({ row: index + 2, cells });
  });
  return table;
}

function decodeText(data: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return new TextDecoder('gbk').decode(data);
  }
}
