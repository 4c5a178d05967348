import { existsSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { directoryWorkbook, workbookBuffer } from '../../src/directory/export.js';
import { DIRECTORY_TEMPLATE_FILE } from '../../src/directory/write-template.js';

/** Sheet name → every row's cell values as text, header row first. */
function contents(workbook: ExcelJS.Workbook): Record<string, string[][]> {
  const sheets: Record<string, string[][]> = {};
  workbook.eachSheet((sheet) => {
    const rows: string[][] = [];
    sheet.eachRow({ includeEmpty: false }, (row) => {
      const cells: string[] = [];
      for (let c = 1; c <= row.cellCount; c++) cells.push(String(row.getCell(c).value ?? ''));
      rows.push(cells);
    });
    sheets[sheet.name] = rows;
  });
  return sheets;
}

describe('the directory template committed in docs/templates', () => {
  it('has the sheets, headers and example rows the code builds (npm run directory:template rewrites it)', async () => {
    expect(existsSync(DIRECTORY_TEMPLATE_FILE), `${DIRECTORY_TEMPLATE_FILE} is missing`).toBe(true);
    const committed = new ExcelJS.Workbook();
    await committed.xlsx.readFile(DIRECTORY_TEMPLATE_FILE);
    // Read back through the same path as the committed file, so both are compared as exceljs reads an xlsx.
    const built = new ExcelJS.Workbook();
    await built.xlsx.load((await workbookBuffer(directoryWorkbook())) as unknown as ArrayBuffer);

    const committedSheets = contents(committed);
    const builtSheets = contents(built);
    expect(Object.keys(committedSheets)).toEqual(Object.keys(builtSheets));
    expect(Object.keys(builtSheets)).toEqual(['区域', '部门', '人员', '企业', '填写说明']);
    for (const name of Object.keys(builtSheets)) {
      expect(committedSheets[name]?.[0], `header row of sheet ${name}`).toEqual(builtSheets[name]?.[0]);
      expect(committedSheets[name], `rows of sheet ${name}`).toEqual(builtSheets[name]);
    }
  });
});
