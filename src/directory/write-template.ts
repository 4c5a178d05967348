// `npm run directory:template`: writes the directory template (the same workbook as GET
// /api/admin/directory/template.xlsx) into the repository, so an admin can fill it in before the service runs.
// tests/unit/directory-template.test.ts fails when the committed file no longer matches what the code builds.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { directoryWorkbook, workbookBuffer } from './export.js';

/** Where the template lives in the repository. */
export const DIRECTORY_TEMPLATE_FILE = fileURLToPath(
  new URL('../../docs/templates/组织名录模板.xlsx', import.meta.url),
);

/** A fixed date in the file's properties, so regenerating an unchanged template changes no metadata. */
const FIXED_DATE = new Date('2026-01-01T00:00:00Z');

export async function writeDirectoryTemplate(file = DIRECTORY_TEMPLATE_FILE): Promise<string> {
  const workbook = directoryWorkbook();
  workbook.created = FIXED_DATE;
  workbook.modified = FIXED_DATE;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, await workbookBuffer(workbook));
  return file;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const file = await writeDirectoryTemplate();
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
