/**
 * The hostile files of issue 19 point 2, generated: a workbook claiming 3,000,000 rows (with and without a
 * <dimension>), 275,000 bad rows (in one sheet, and spread so that every limit is met), and a zip bomb of 1 GB.
 */
import { randomBytes } from 'node:crypto';
import { ENTERPRISE_HEADERS, PEOPLE_HEADERS, REGION_HEADERS } from '../fixtures/directory/sample.js';
import { partsXlsx, worksheetXml } from '../support/hostile-xlsx.js';
import { buildZip } from '../support/zip.js';

export interface HostileFile {
  name: string;
  what: string;
  data: () => Buffer;
}

/**
 * A sheet of `rows` rows under a header, each an empty `<row/>` (numbered by its place), with 1 MB of random text in
 * a comment so that the file weighs what the issue's did and its compression ratio stays under the bomb check's.
 */
export function manyRows(rows: number, dimension: boolean): Buffer {
  const header = `<row r="1">${PEOPLE_HEADERS.map((h, i) => `<c r="${String.fromCharCode(65 + i)}1" t="inlineStr"><is><t>${h}</t></is></c>`).join('')}</row>`;
  const padding = `<!-- ${randomBytes(768 * 1024).toString('base64')} -->`;
  const xml = worksheetXml(header + '<row/>'.repeat(rows - 1), dimension ? `A1:G${rows}` : undefined).replace(
    '<sheetData>',
    `${padding}<sheetData>`,
  );
  return partsXlsx([{ name: '人员', xml }]);
}

/**
 * Lists whose every row is wrong, with random names so that the file barely compresses: people with a mobile of 8
 * digits and a role that does not exist, enterprises with a credit code of 3 digits in a township that does not
 * exist, townships under a county that does not exist. `rows` of them in sheets of at most `perSheet` rows (one
 * sheet of people when `perSheet` holds them all).
 */
export function badLists(rows: number, perSheet: number, dimension: boolean): Buffer {
  const strings: string[] = [];
  const shared = new Map<string, number>();
  const text = (value: string) => {
    let index = shared.get(value);
    if (index === undefined) {
      index = strings.push(value) - 1;
      shared.set(value, index);
    }
    return index;
  };
  // Random names from one buffer: 12 characters each, as good as incompressible.
  const random = randomBytes(rows * 9).toString('base64url');
  const lists: { name: string; headers: string[]; row: (n: number, name: string) => (string | number)[] }[] = [
    { name: '人员', headers: PEOPLE_HEADERS, row: (n, name) => [`q${n}`, name, 10_000_000 + n, '', '', '巡查员', ''] },
    {
      name: '企业',
      headers: ENTERPRISE_HEADERS,
      row: (n, name) => [`e${n}`, `${name}有限公司`, 123, 'nowhere', '工贸', '', '', '', ''],
    },
    { name: '区域', headers: REGION_HEADERS, row: (n, name) => [`r${n}`, `${name}镇`, 'nowhere', ''] },
  ];
  const cell = (ref: string, value: string | number) =>
    value === ''
      ? ''
      : typeof value === 'number'
        ? `<c r="${ref}"><v>${value}</v></c>`
        : `<c r="${ref}" t="s"><v>${text(value)}</v></c>`;
  const rowXml = (r: number, values: (string | number)[]) =>
    `<row r="${r}">${values.map((v, i) => cell(`${String.fromCharCode(65 + i)}${r}`, v)).join('')}</row>`;
  const sheets: { name: string; xml: string }[] = [];
  for (let s = 0, written = 0; written < rows; s++) {
    const list = lists[s]!;
    const count = Math.min(perSheet, rows - written);
    const body = [rowXml(1, list.headers)];
    for (let r = 2; r <= count + 1; r++) {
      const n = written + r - 1;
      body.push(rowXml(r, list.row(n, random.slice(n * 12, n * 12 + 12))));
    }
    sheets.push({ name: list.name, xml: worksheetXml(body.join(''), dimension ? `A1:I${count + 1}` : undefined) });
    written += count;
  }
  return partsXlsx(sheets, strings);
}

export const HOSTILE_FILES: HostileFile[] = [
  {
    name: 'claims-3m-rows',
    what: '3,000,000 rows, <dimension> says so',
    data: () => manyRows(3_000_000, true),
  },
  {
    name: 'claims-3m-rows-no-dimension',
    what: '3,000,000 rows, no <dimension> (counted while streaming)',
    data: () => manyRows(3_000_000, false),
  },
  {
    name: 'bad-rows-275k',
    what: '275,000 bad rows in one sheet, random text (as a program writes it, with <dimension>)',
    data: () => badLists(275_000, 275_000, true),
  },
  {
    name: 'bad-rows-275k-within-limits',
    what: '275,000 bad rows over three sheets of ≤ 100,000: every limit met, every row read and checked',
    data: () => badLists(275_000, 99_999, false),
  },
  {
    name: 'zip-bomb-1gb',
    what: 'a sheet of 1 GB of zeros',
    data: () => buildZip([{ name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(1024 ** 3) }]),
  },
];
