import { describe, expect, it } from 'vitest';
import { checkDirectoryUpload } from '../../src/directory/check-upload.js';
import { listIssues, sortIssues } from '../../src/directory/model.js';
import { parseDirectoryFiles } from '../../src/directory/parse-files.js';
import type { DirectoryState } from '../../src/directory/state.js';
import { firstReferenceIssues, validateReferences } from '../../src/directory/validate.js';
import { UPLOAD_LIMITS } from '../../src/uploads/zip-guard.js';
import { buildXlsx, ENTERPRISE_HEADERS, PEOPLE_HEADERS, REGION_HEADERS } from '../fixtures/directory/sample.js';

const empty: DirectoryState = {
  regions: new Map(),
  departments: new Map(),
  people: new Map(),
  enterprises: new Map(),
  roles: [],
  codeOf: { region: new Map(), department: new Map(), person: new Map(), enterprise: new Map() },
};

describe('a directory upload checked in the worker', () => {
  it('keeps only the first problems in file order, and lists and counts exactly what the whole list would', async () => {
    // Field problems in three sheets, and reference problems (a township under a county that does not exist, an
    // enterprise in a township that does not exist) that sort among them.
    const regions = [REGION_HEADERS, ...Array.from({ length: 150 }, (_, i) => [`r${i}`, `${i}镇`, 'nowhere', ''])];
    const people = [
      PEOPLE_HEADERS,
      ...Array.from({ length: 150 }, (_, i) => [`q${i}`, `某${i}`, '123', '', '', '', '']),
    ];
    const enterprises = [
      ENTERPRISE_HEADERS,
      ...Array.from({ length: 150 }, (_, i) => [`e${i}`, `企业${i}`, '1', 'nowhere', '工贸', '', '', '', '']),
    ];
    const data = await buildXlsx({ 区域: regions, 人员: people, 企业: enterprises });

    const whole = await parseDirectoryFiles([{ name: 'a.xlsx', data }]);
    const all = sortIssues([...whole.issues, ...validateReferences(whole.input, empty, 'merge')], whole.sheets);
    expect(all.length).toBeGreaterThan(300);

    const checked = await checkDirectoryUpload({
      files: [{ name: 'a.xlsx', data: new Uint8Array(data) }],
      limits: UPLOAD_LIMITS,
      state: empty,
      mode: 'merge',
    });
    if (checked.ok) throw new Error('expected problems');
    expect(checked.total).toBe(all.length);
    expect(listIssues(checked.issues, checked.total)).toEqual(listIssues(all));
  });

  it('keeps the first reference problems as they come, cut back time and again, and counts them all', async () => {
    // 300 reference problems: each township under a county that does not exist, each unit in a township that does
    // not exist, and every enterprise code twice.
    const regions = [REGION_HEADERS, ...Array.from({ length: 100 }, (_, i) => [`r${i}`, `${i}镇`, 'nowhere', ''])];
    const enterprises = [
      ENTERPRISE_HEADERS,
      ...Array.from({ length: 100 }, (_, i) => [`e${i % 50}`, `企业${i}`, '', 'nowhere', '工贸', '', '', '', '']),
    ];
    const data = await buildXlsx({ 企业: enterprises, 区域: regions });
    const { input, sheets = [] } = await parseDirectoryFiles([{ name: 'a.xlsx', data }]);
    const all = sortIssues(validateReferences(input, empty, 'merge'), sheets);
    expect(all.length).toBeGreaterThanOrEqual(250);
    const first = firstReferenceIssues(input, empty, 'merge', { keep: 7, sheets });
    expect(first.total).toBe(all.length);
    expect(first.issues).toEqual(all.slice(0, 7));
    // The sheets' order, not the order the checks ran in: the 企业 sheet comes first in this file.
    expect(first.issues[0]!.sheet).toBe('企业');
  });
});
