/**
 * Reads an uploaded checklist import: one .json file, or .xlsx workbooks and .csv files, with the directory's
 * spreadsheet reader (directory/read-spreadsheet.ts: the zip's sizes are checked before anything is inflated).
 * A file that cannot be read at all is reported as a problem of that file. The answer is plain data: the HTTP route
 * runs it in a worker thread (parseChecklistFilesInWorker), like the directory's upload.
 */
import type { UploadedFile } from '../../directory/parse-files.js';
import { readCsv, readXlsx, UnreadableFileError } from '../../directory/read-spreadsheet.js';
import type { RawTable } from '../../directory/spreadsheet-cells.js';
import { parseInWorker } from '../../uploads/parse-in-worker.js';
import { transferableBuffers } from '../../uploads/receive-buffer.js';
import { checkZipUpload, UPLOAD_LIMITS, UploadTooLargeError, type ZipLimits } from '../../uploads/zip-guard.js';
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

/** What a checklist upload comes back from the worker as: the first problems (at most `listed`) and their count. */
export interface CheckedChecklistUpload extends ParsedChecklists {
  totalIssues: number;
}

/** The worker's task: parse, and keep only the problems an answer lists (a bad file can have hundreds of thousands). */
export async function parseChecklistUpload(input: {
  files: UploadedFile[];
  listed: number;
}): Promise<CheckedChecklistUpload> {
  // A Buffer arrives in the worker as a plain Uint8Array (structured clone): made a Buffer again, without a copy.
  const files = input.files.map((f) => ({
    ...f,
    data: Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength),
  }));
  const parsed = await parseChecklistFiles(files);
  return { ...parsed, issues: parsed.issues.slice(0, input.listed), totalIssues: parsed.issues.length };
}

/**
 * Parses checklist files in a worker thread (uploads/parse-in-worker.ts), like the directory's upload: the zip's sizes
 * are checked first, on this thread and at no cost, so a bomb is refused without a worker. Throws UploadWorkerError
 * when another upload is being parsed, or the files take too much memory or time.
 */
export async function parseChecklistFilesInWorker(
  files: UploadedFile[],
  options: { listed: number; limits?: ZipLimits },
): Promise<CheckedChecklistUpload> {
  const refused: ChecklistIssue[] = [];
  for (const file of files) {
    if (!/\.xlsx$/i.test(file.name)) continue;
    try {
      checkZipUpload(file.data, file.name, options.limits ?? UPLOAD_LIMITS);
    } catch (error) {
      if (!(error instanceof UploadTooLargeError)) throw error;
      refused.push({ sheet: file.name, row: 0, reason: error.message });
    }
  }
  if (refused.length > 0) return { checklists: [], issues: refused, totalIssues: refused.length };
  return parseInWorker<CheckedChecklistUpload>(
    { module: new URL('./parse-files.js', import.meta.url), name: parseChecklistUpload.name },
    { files, listed: options.listed },
    { transfer: transferableBuffers(files) },
  );
}
