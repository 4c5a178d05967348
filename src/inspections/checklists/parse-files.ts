/**
 * Reads an uploaded checklist import: one .json file, or .xlsx workbooks and .csv files, with the directory's
 * spreadsheet reader (directory/read-spreadsheet.ts: the zip's sizes are checked before anything is inflated).
 * A file that cannot be read at all is reported as a problem of that file. The answer is plain data, so that this can
 * run in a worker thread like the directory's upload.
 */
import type { UploadedFile } from '../../directory/parse-files.js';
import { readCsv, readXlsx, UnreadableFileError } from '../../directory/read-spreadsheet.js';
import type { RawTable } from '../../directory/spreadsheet-cells.js';
import type { ChecklistIssue, ParsedChecklists } from './model.js';
import { parseChecklistJson } from './parse-json.js';
import { parseChecklistTables } from './parse-tables.js';

export async function parseChecklistFiles(files: UploadedFile[]): Promise<ParsedChecklists> {
  const refuse = (sheet: string, reason: string): ParsedChecklists => ({
    checklists: [],
    issues: [{ sheet, row: 0, reason }],
  });
  if (files.length === 0) return refuse('', '没有收到文件：请上传一个 .xlsx、.csv 或 .json 文件');
  const json = files.find((f) => /\.json$/i.test(f.name));
  if (json) {
    if (files.length > 1) return refuse(json.name, 'JSON 文件应单独导入，不能与其他文件一起上传');
    let body: unknown;
    try {
      body = JSON.parse(json.data.toString('utf8'));
    } catch (error) {
      return refuse(json.name, `不是有效的 JSON：${(error as Error).message}`);
    }
    return parseChecklistJson(body);
  }
  const tables: RawTable[] = [];
  const unreadable: ChecklistIssue[] = [];
  for (const file of files) {
    try {
      if (/\.xlsx$/i.test(file.name)) tables.push(...(await readXlsx(file.data, file.name)));
      else if (/\.csv$/i.test(file.name)) tables.push(readCsv(file.data, file.name));
      else
        unreadable.push({
          sheet: file.name,
          row: 0,
          reason: '不支持的文件类型：请使用 .xlsx、.csv 或 .json（旧版 .xls 请另存为 .xlsx）',
        });
    } catch (error) {
      if (!(error instanceof UnreadableFileError)) throw error;
      unreadable.push({ sheet: file.name, row: 0, reason: error.message });
    }
  }
  // A file that could not be read makes the import incomplete: nothing is applied, and its sheets are not guessed at.
  if (unreadable.length > 0 && tables.length === 0) return { checklists: [], issues: unreadable };
  const parsed = parseChecklistTables(tables);
  const issues = [...unreadable, ...parsed.issues];
  return { checklists: issues.length > 0 ? [] : parsed.checklists, issues };
}
