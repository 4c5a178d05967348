import { UPLOAD_LIMITS, type ZipLimits } from '../uploads/zip-guard.js';
import { emptyInput } from './model.js';
import type { ParsedInput, ParseOptions } from './parse-input.js';
import { parseJson, parseTables } from './parse-input.js';
import { readCsv, readXlsx, UnreadableFileError } from './read-spreadsheet.js';
import type { RawTable } from './spreadsheet-cells.js';

export interface UploadedFile {
  name: string;
  data: Buffer;
}

/**
 * Reads an upload: one .json file, one .xlsx workbook (one sheet per list), or .csv files (one per list).
 * A file that cannot be read at all is reported as a problem of that file, like a bad row.
 */
export async function parseDirectoryFiles(
  files: UploadedFile[],
  limits: ZipLimits = UPLOAD_LIMITS,
  options: ParseOptions = {},
): Promise<ParsedInput> {
  const empty: ParsedInput = { input: emptyInput(), issues: [] };
  if (files.length === 0) {
    return {
      ...empty,
      issues: [{ sheet: '', row: 0, reason: '没有收到文件：请上传一个 .xlsx、.json 文件或若干 .csv 文件' }],
    };
  }
  const json = files.filter((f) => /\.json$/i.test(f.name));
  if (json.length > 0) {
    if (files.length > 1) {
      return {
        ...empty,
        issues: [{ sheet: json[0]!.name, row: 0, reason: 'JSON 文件应单独导入，不能与其他文件一起上传' }],
      };
    }
    try {
      return parseJson(JSON.parse(json[0]!.data.toString('utf8')));
    } catch (error) {
      return {
        ...empty,
        issues: [{ sheet: json[0]!.name, row: 0, reason: `不是有效的 JSON：${(error as Error).message}` }],
      };
    }
  }
  const tables: RawTable[] = [];
  const issues: ParsedInput['issues'] = [];
  for (const file of files) {
    try {
      if (/\.xlsx$/i.test(file.name)) tables.push(...(await readXlsx(file.data, file.name, limits)));
      else if (/\.csv$/i.test(file.name)) tables.push(readCsv(file.data, file.name, limits));
      else
        issues.push({
          sheet: file.name,
          row: 0,
          reason: '不支持的文件类型：请使用 .xlsx、.csv 或 .json（旧版 .xls 请另存为 .xlsx）',
        });
    } catch (error) {
      if (!(error instanceof UnreadableFileError)) throw error;
      issues.push({ sheet: file.name, row: 0, reason: error.message });
    }
  }
  // A file refused whole is the problem to report, not also that no list was found.
  if (tables.length === 0 && issues.length > 0) return { ...empty, issues };
  const parsed = parseTables(tables, options);
  return { ...parsed, issues: [...issues, ...parsed.issues] };
}
