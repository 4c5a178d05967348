/**
 * Reads the sheets of an .xlsx as a stream: each XML part is inflated chunk by chunk and parsed with a SAX parser, so
 * memory follows the rows kept, not the size of the workbook's object model (exceljs' `xlsx.load` took 2.8 GB for a
 * file of 888 KB). The zip's directory gives random access, so the workbook, its relationships, styles and shared
 * strings are read before the sheets whatever order the file stores them in, and nothing goes to temporary files.
 *
 * It counts rows itself (a sheet's `<dimension>` may be missing or false) and stops reading at the row limit, and it
 * counts inflated bytes (a zip's directory may lie about sizes too). Cell values follow exceljs' in-memory reader,
 * which the directory import used before: shared and inline strings, rich text as runs, numbers, booleans, errors,
 * dates by the cell's number format, formulas with the result the spreadsheet program stored, merged cells.
 */
import { createRequire } from 'node:module';
import { SheetBuilder, type SheetCell, type SheetContext, type StreamedSheet } from './xlsx-worksheet.js';
import { UploadTooLargeError, type ZipLimits, zipEntries } from './zip-guard.js';
import { parsePart, UnreadableWorkbookError, type XmlHandlers } from './zip-parts.js';

export type { SheetCell, SheetRow, StreamedSheet } from './xlsx-worksheet.js';
export { UnreadableWorkbookError } from './zip-parts.js';

type Limits = Pick<ZipLimits, 'maxSheetRows'>;

/**
 * Every sheet of the workbook, in the workbook's order. Throws UploadTooLargeError (naming the file, the sheet and
 * the limit) when a sheet has more rows than allowed or a part inflates past the size the zip declares for it, and
 * UnreadableWorkbookError when the file is not an xlsx. The zip's declared sizes are zip-guard.ts' to check, first.
 */
export async function readXlsxSheets(data: Buffer, fileName: string, limits: Limits): Promise<StreamedSheet[]>;
/** The same, each sheet turned into what `each` makes of it as soon as it is read: its rows need not wait for the rest. */
export async function readXlsxSheets<T>(
  data: Buffer,
  fileName: string,
  limits: Limits,
  each: (sheet: StreamedSheet) => T,
): Promise<T[]>;
export async function readXlsxSheets<T>(
  data: Buffer,
  fileName: string,
  limits: Limits,
  each: (sheet: StreamedSheet) => T = (sheet) => sheet as T,
): Promise<T[]> {
  const entries = new Map(zipEntries(data).map((entry) => [entry.name, entry]));
  const part = (name: string, handlers: XmlHandlers) => {
    const entry = entries.get(name);
    return entry ? parsePart(data, entry, fileName, handlers) : Promise.resolve(false);
  };

  const rootRels = new Map<string, Relationship>();
  await part('_rels/.rels', relationshipHandlers('', rootRels));
  const workbookPath =
    [...rootRels.values()].find((rel) => rel.type.endsWith('/officeDocument'))?.target ?? 'xl/workbook.xml';
  const workbook = { date1904: false, sheets: [] as { name: string; relId: string }[] };
  if (!(await part(workbookPath, workbookHandlers(workbook)))) {
    throw new UnreadableWorkbookError('找不到工作簿（xl/workbook.xml）');
  }
  const workbookRels = new Map<string, Relationship>();
  await part(relsPathOf(workbookPath), relationshipHandlers(folderOf(workbookPath), workbookRels));
  const related = (type: string) => [...workbookRels.values()].find((rel) => rel.type.endsWith(type))?.target;

  const dateStyles: boolean[] = [];
  await part(related('/styles') ?? 'xl/styles.xml', styleHandlers(dateStyles));
  const sharedStrings: SheetCell[] = [];
  await part(related('/sharedStrings') ?? 'xl/sharedStrings.xml', sharedStringHandlers(sharedStrings));

  const sheets: T[] = [];
  for (const { name, relId } of workbook.sheets) {
    const target = workbookRels.get(relId)?.target;
    const context: SheetContext = { sharedStrings, dateStyles, date1904: workbook.date1904 };
    const sheet = new SheetBuilder(
      name,
      context,
      () => {
        throw new UploadTooLargeError(
          `${fileName} 的工作表“${name}”超过 ${limits.maxSheetRows.toLocaleString('en-US')} 行的上限（读到第 ${(limits.maxSheetRows + 1).toLocaleString('en-US')} 行时停止）；请拆分后分别导入`,
        );
      },
      limits.maxSheetRows,
    );
    if (target) await part(target, sheet.handlers());
    sheets.push(each(sheet.finish()));
  }
  return sheets;
}

// ---------------------------------------------------------------------------------------------------------------
// Workbook, relationships, styles, shared strings

interface Relationship {
  type: string;
  /** The target's path inside the zip. */
  target: string;
}

function relationshipHandlers(base: string, into: Map<string, Relationship>): XmlHandlers {
  return {
    open(name, attributes) {
      if (name !== 'Relationship' || !attributes.Id || !attributes.Target) return;
      into.set(attributes.Id, { type: attributes.Type ?? '', target: resolvePath(base, attributes.Target) });
    },
  };
}

/** A relationship's target, relative to the folder of the part that names it or absolute from the zip's root. */
function resolvePath(base: string, target: string): string {
  const parts = (target.startsWith('/') ? target.slice(1) : `${base}${target}`).split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '..') out.pop();
    else if (part !== '.' && part !== '') out.push(part);
  }
  return out.join('/');
}

const folderOf = (path: string) => path.slice(0, path.lastIndexOf('/') + 1);
const relsPathOf = (path: string) => `${folderOf(path)}_rels/${path.slice(path.lastIndexOf('/') + 1)}.rels`;

function workbookHandlers(workbook: { date1904: boolean; sheets: { name: string; relId: string }[] }): XmlHandlers {
  return {
    open(name, attributes) {
      if (name === 'workbookPr') workbook.date1904 = attributes.date1904 === '1' || attributes.date1904 === 'true';
      if (name === 'sheet') {
        const relId = attributes['r:id'] ?? Object.entries(attributes).find(([key]) => key.endsWith(':id'))?.[1];
        if (relId) workbook.sheets.push({ name: attributes.name ?? `Sheet${workbook.sheets.length + 1}`, relId });
      }
    },
  };
}

// exceljs' table of built-in number formats, so that a date is a date exactly when it was one before.
const builtInFormats = createRequire(import.meta.url)('exceljs/lib/xlsx/defaultnumformats.js') as Record<
  string,
  { f?: string }
>;

/** exceljs' test for a date format: y m d h s b outside quotes and brackets. */
function isDateFormat(format: string | undefined): boolean {
  if (!format) return false;
  return /[ymdhMsb]+/.test(format.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, ''));
}

/** Whether each cell style (`s="n"` of a cell, an index into cellXfs) shows a date. */
function styleHandlers(dateStyles: boolean[]): XmlHandlers {
  const formats = new Map<string, string>();
  let inCellXfs = false;
  return {
    open(name, attributes) {
      if (name === 'numFmt' && attributes.numFmtId) formats.set(attributes.numFmtId, attributes.formatCode ?? '');
      else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) {
        const id = attributes.numFmtId;
        // As exceljs: a style without a format, or with format 0, is not a date.
        const format = id && id !== '0' ? (formats.get(id) ?? builtInFormats[id]?.f) : undefined;
        dateStyles.push(isDateFormat(format));
      }
    },
    close(name) {
      if (name === 'cellXfs') inCellXfs = false;
    },
  };
}

function sharedStringHandlers(strings: SheetCell[]): XmlHandlers {
  let runs: { text: string }[] = [];
  let text: string | null = null;
  let inText = false;
  // Phonetic guides (furigana) carry text of their own that the cell does not show.
  let inPhonetic = false;
  return {
    open(name) {
      if (name === 'si') {
        runs = [];
        text = null;
      } else if (name === 't' && !inPhonetic) inText = true;
      else if (name === 'rPh') inPhonetic = true;
      else if (name === 'r') runs.push({ text: '' });
    },
    text(chunk) {
      if (!inText) return;
      const run = runs.at(-1);
      if (run) run.text += chunk;
      else text = (text ?? '') + chunk;
    },
    close(name) {
      if (name === 't') inText = false;
      else if (name === 'rPh') inPhonetic = false;
      else if (name === 'si') strings.push(runs.length > 0 ? { richText: runs } : (text ?? ''));
    },
  };
}
