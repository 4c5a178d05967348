import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { checkZipUpload, UPLOAD_LIMITS, UploadTooLargeError } from '../uploads/zip-guard.js';
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

/** Every sheet of an .xlsx workbook. Cell values are read as stored; formulas are never evaluated (see cellText). */
export async function readXlsx(data: Buffer, fileName: string): Promise<RawTable[]> {
  try {
    // Sizes and rows as the zip declares them, before anything is inflated.
    checkZipUpload(data, fileName);
  } catch (error) {
    if (error instanceof UploadTooLargeError) throw new UnreadableFileError(fileName, error.message);
    throw error;
  }
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(data as unknown as ArrayBuffer);
  } catch (error) {
    throw new UnreadableFileError(fileName, `${fileName} 不是有效的 xlsx 文件：${(error as Error).message}`);
  }
  const tables: RawTable[] = [];
  for (const sheet of workbook.worksheets) {
    const table: RawTable = { name: sheet.name, headers: [], rows: [], problems: [] };
    const headerRow = sheet.getRow(1);
    for (let c = 1; c <= headerRow.cellCount; c++) {
      table.headers.push(cellText(headerRow.getCell(c).value).text ?? '');
    }
    sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
      if (rowNumber === 1) return;
      const cells: (string | undefined)[] = [];
      for (let c = 1; c <= table.headers.length; c++) {
        const { text, problem } = cellText(row.getCell(c).value);
        if (problem)
          table.problems.push({ row: rowNumber, column: table.headers[c - 1] ?? `第 ${c} 列`, reason: problem });
        cells.push(text);
      }
      if (cells.some((cell) => cell !== undefined)) table.rows.push({ row: rowNumber, cells });
    });
    tables.push(table);
  }
  return tables;
}

/**
 * The text of a cell. A formula cell gives the value the spreadsheet program last computed and stored — what the
 * user saw — and is never evaluated here; without a stored value it is reported. Text is taken literally.
 */
function cellText(value: ExcelJS.CellValue): { text?: string; problem?: string } {
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
    return cellText(result as ExcelJS.CellValue);
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
  if ('text' in value) {
    const text = value.text as unknown;
    if (typeof text === 'string') return nonEmpty(unescapeCell(text.trim()));
    return cellText(text as ExcelJS.CellValue);
  }
  return { problem: '无法读取该单元格' };
}

function nonEmpty(text: string): { text?: string } {
  return text === '' ? {} : { text };
}

/** A CSV file (one list). UTF-8 with or without BOM; Excel's Chinese-Windows default (GBK) is recognised too. */
export function readCsv(data: Buffer, fileName: string): RawTable {
  // Lines counted before parsing: the row limit holds for CSV as for a workbook.
  let lines = 0;
  for (let at = data.indexOf(10); at >= 0; at = data.indexOf(10, at + 1)) lines++;
  if (lines > UPLOAD_LIMITS.maxSheetRows) {
    throw new UnreadableFileError(
      fileName,
      `${fileName} 有 ${lines.toLocaleString('en-US')} 行，超过上限 ${UPLOAD_LIMITS.maxSheetRows.toLocaleString('en-US')} 行；请拆分后分别导入`,
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
