import { randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { checkZipUpload, UploadTooLargeError, zipEntries } from '../../src/uploads/zip-guard.js';
import { buildZip } from '../support/zip.js';

const sheet = (rows: string, dimension: string) =>
  Buffer.from(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="${dimension}"/><sheetData>${rows}</sheetData></worksheet>`,
  );

describe('sizes of an upload, from the zip directory, before inflating', () => {
  it('lets a real workbook through', async () => {
    const workbook = new ExcelJS.Workbook();
    const people = workbook.addWorksheet('人员');
    people.addRow(['人员编码', '姓名']);
    for (let i = 0; i < 500; i++) people.addRow([`p${i}`, `人员${i}`]);
    const data = Buffer.from(await workbook.xlsx.writeBuffer());
    expect(zipEntries(data).some((e) => e.name === 'xl/worksheets/sheet1.xml')).toBe(true);
    expect(() => checkZipUpload(data, '名录.xlsx')).not.toThrow();
  });

  it('refuses a bomb: a small file that inflates to 256 MB, before inflating it', () => {
    const bomb = buildZip([{ name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(256 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const started = performance.now();
    expect(() => checkZipUpload(bomb, 'bomb.xlsx')).toThrow(UploadTooLargeError);
    expect(() => checkZipUpload(bomb, 'bomb.xlsx')).toThrow(/压缩比异常.*疑为压缩炸弹/);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('refuses files that inflate past 64 MB in all, and a sheet declaring three million rows', () => {
    // Random-ish text compresses little: 70 MB in 8 entries of under the ratio limit.
    const chunk = Buffer.from(randomBytes(9 * 1024 * 1024).map((b) => 65 + (b % 26)));
    const big = buildZip(Array.from({ length: 8 }, (_, i) => ({ name: `xl/media/p${i}.bin`, data: chunk })));
    expect(() => checkZipUpload(big, 'big.xlsx')).toThrow(/解压后共 72\.0 MB，超过上限 64\.0 MB/);

    const liar = buildZip([{ name: 'xl/worksheets/sheet1.xml', data: sheet('<row r="1"/>', 'A1:C3000000') }]);
    expect(() => checkZipUpload(liar, 'liar.xlsx')).toThrow(/声明有 3,000,000 行，超过上限 100,000 行/);
    const fine = buildZip([{ name: 'xl/worksheets/sheet1.xml', data: sheet('<row r="1"/>', 'A1:C300') }]);
    expect(() => checkZipUpload(fine, 'fine.xlsx')).not.toThrow();
  });

  it('passes what is not a zip to its own reader', () => {
    expect(() => checkZipUpload(Buffer.from('编码,名称\n'), 'a.csv')).not.toThrow();
  });
});
