/**
 * Workbooks written part by part, for files no spreadsheet program would write: sheets without a `<dimension>` or
 * with a false one, rows past a limit, a zip directory that lies about sizes. Used by tests and by bench:uploads.
 */
import { buildZip } from './zip.js';

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

export interface PartSheet {
  name: string;
  /** The worksheet's XML, whole (see worksheetXml). */
  xml: string | Buffer;
}

/**
 * An xlsx of the given sheets, with shared strings if any. `sharedStringsLast` stores them after the sheets, as Excel
 * does (a reader that reads the zip in order meets the sheets first).
 */
export function partsXlsx(sheets: PartSheet[], sharedStrings: string[] = [], sharedStringsLast = true): Buffer {
  const workbook =
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="${MAIN}" xmlns:r="${REL}"><sheets>` +
    sheets.map((s, i) => `<sheet name="${s.name}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
    '</sheets></workbook>';
  const rels =
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
    sheets
      .map((_, i) => `<Relationship Id="rId${i + 1}" Type="${REL}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`)
      .join('') +
    `<Relationship Id="rIdS" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`;
  const rootRels =
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
    `<Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
  const strings = Buffer.from(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="${MAIN}" count="${sharedStrings.length}" uniqueCount="${sharedStrings.length}">` +
      sharedStrings.map((s) => `<si><t>${escapeXml(s)}</t></si>`).join('') +
      '</sst>',
  );
  const sheetParts = sheets.map((s, i) => ({
    name: `xl/worksheets/sheet${i + 1}.xml`,
    data: Buffer.isBuffer(s.xml) ? s.xml : Buffer.from(s.xml),
  }));
  const stringsPart = { name: 'xl/sharedStrings.xml', data: strings };
  return buildZip([
    { name: '_rels/.rels', data: Buffer.from(rootRels) },
    { name: 'xl/workbook.xml', data: Buffer.from(workbook) },
    { name: 'xl/_rels/workbook.xml.rels', data: Buffer.from(rels) },
    ...(sharedStringsLast ? [...sheetParts, stringsPart] : [stringsPart, ...sheetParts]),
  ]);
}

/** A worksheet's XML around rows of `<row>` elements; `dimension` undefined leaves the element out. */
export function worksheetXml(rows: string, dimension?: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="${MAIN}">` +
    (dimension ? `<dimension ref="${dimension}"/>` : '') +
    `<sheetData>${rows}</sheetData></worksheet>`
  );
}

/** One row of inline-string cells (A, B, C…). */
export function inlineRow(row: number, cells: string[]): string {
  const columns = cells.map(
    (text, i) => `<c r="${String.fromCharCode(65 + i)}${row}" t="inlineStr"><is><t>${escapeXml(text)}</t></is></c>`,
  );
  return `<row r="${row}">${columns.join('')}</row>`;
}

/** Sets the inflated size that the zip's central directory declares for `entry` (a lie, for a test). */
export function declareSize(zip: Buffer, entry: string, size: number): Buffer {
  const copy = Buffer.from(zip);
  for (let at = copy.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at >= 0; ) {
    const nameLength = copy.readUInt16LE(at + 28);
    if (copy.toString('utf8', at + 46, at + 46 + nameLength) === entry) {
      copy.writeUInt32LE(size, at + 24);
      return copy;
    }
    at = copy.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at - 1);
  }
  throw new Error(`no entry ${entry}`);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
