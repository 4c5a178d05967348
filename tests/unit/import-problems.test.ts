// Issue 17 point 7: every import lists every problem of a row, each with where it is, not only the row's first.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { LISTED_ISSUES, listIssues } from '../../src/directory/model.js';
import { parseDirectoryFiles } from '../../src/directory/parse-files.js';
import { type ParsedInput, parseJson } from '../../src/directory/parse-input.js';
import { validateReferences } from '../../src/directory/validate.js';
import { PACKAGE_HOLIDAYS, parseHolidayFile, parsePolicy } from '../../src/domain/index.js';
import { loadReminderSettings, PolicyFileError } from '../../src/reminders/settings.js';
import { buildXlsx, creditCode, ENTERPRISE_HEADERS, PEOPLE_HEADERS } from '../fixtures/directory/sample.js';
import { emptyDirectoryState } from '../support/directory-state.js';

/** Every problem of an import into an empty directory, as `sheet row column: reason`. */
function problems(parsed: ParsedInput): string[] {
  const issues = [...parsed.issues, ...validateReferences(parsed.input, emptyDirectoryState(), 'replace')];
  return issues.map((i) => `${i.sheet} ${i.row} ${i.column ?? ''}: ${i.reason}`);
}

/** A person with a malformed mobile and a role over a township that exists nowhere. */
const PERSON_ROW = ['p1', '张三', '1380000', '', '', '检查员', 'region:nowhere'];
/** An enterprise with a bad credit code check digit, an unknown township, department and principal. */
const badCredit = `${creditCode(1).slice(0, 17)}${creditCode(1).endsWith('0') ? '1' : '0'}`;
const ENTERPRISE_ROW = ['e1', '某厂', badCredit, 'town-09', '工贸', 'nodept', 'p404', '', '工业园 1 号'];

describe('the directory import names every problem of a row', () => {
  it('JSON: a person with a bad mobile and an unknown role scope is reported for both, and is not applied', () => {
    const parsed = parseJson({
      people: [
        {
          code: 'p1',
          name: '张三',
          mobile: '1380000',
          roles: [
            { role: 'inspector', scope: 'region:nowhere' },
            // An unknown role does not keep its scope from being looked up.
            { role: 'mayor', scope: 'department:nodept' },
          ],
        },
      ],
    });
    expect(problems(parsed)).toEqual([
      expect.stringMatching(/^people 1 mobile: 手机号“1380000”格式不正确/),
      expect.stringMatching(/^people 1 roles\[1\]\.role: 未知角色“mayor”/),
      expect.stringMatching(/^people 1 roles\[0\]\.scope: 角色范围中的未知区域 nowhere/),
      expect.stringMatching(/^people 1 roles\[1\]\.scope: 角色范围中的未知部门 nodept/),
    ]);
    expect(parsed.input.people).toEqual([]);
    expect(parsed.input.rejected.people.map((p) => p.code)).toEqual(['p1']);
  });

  it('JSON: an enterprise with an unknown region, department and principal names all three (and its credit code)', () => {
    const parsed = parseJson({
      enterprises: [
        {
          code: 'e1',
          name: '某厂',
          creditCode: badCredit,
          region: 'town-09',
          department: 'nodept',
          principal: 'p404',
        },
      ],
    });
    expect(problems(parsed)).toEqual([
      expect.stringMatching(/^enterprises 1 creditCode: 统一社会信用代码.*校验位不正确/),
      'enterprises 1 region: 所属乡镇：未知区域 town-09：名录和本文件中都没有',
      'enterprises 1 department: 主管部门：未知部门 nodept：名录和本文件中都没有',
      'enterprises 1 principal: 主要负责人是未知人员 p404：名录和本文件中都没有',
    ]);
    expect(parsed.input.enterprises).toEqual([]);
  });

  it('JSON: a rejected row is still checked for a duplicate code, and references to it are not called unknown', () => {
    const parsed = parseJson({
      regions: [
        { code: 'town-01', name: '城关镇' },
        { code: 'town-01', name: '城关镇（又一行）', chatId: '城关镇安全群' },
      ],
      enterprises: [{ code: 'e1', name: '某厂', region: 'town-01', principal: 'p1' }],
      people: [{ code: 'p1', name: '张三', email: 'not-an-email' }],
    });
    expect(problems(parsed)).toEqual([
      expect.stringMatching(/^regions 2 chatId: 群聊ID“城关镇安全群”应为飞书群的 chat_id/),
      expect.stringMatching(/^people 1 email: 邮箱“not-an-email”格式不正确/),
      expect.stringMatching(/^regions 2 区域编码: 区域编码 town-01 重复/),
    ]);
  });

  it('CSV: each problem names the file, the row and the column', async () => {
    const csv = (rows: string[][]) => Buffer.from(rows.map((r) => r.join(',')).join('\r\n'));
    const parsed = await parseDirectoryFiles([
      { name: '人员.csv', data: csv([PEOPLE_HEADERS, PERSON_ROW]) },
      { name: '企业.csv', data: csv([ENTERPRISE_HEADERS, ENTERPRISE_ROW]) },
    ]);
    expect(problems(parsed).map((p) => p.split(':')[0])).toEqual([
      '人员.csv 2 手机号',
      '企业.csv 2 统一社会信用代码',
      '企业.csv 2 所属乡镇',
      '企业.csv 2 主管部门',
      '企业.csv 2 主要负责人',
      '人员.csv 2 范围',
    ]);
  });

  it('XLSX: each problem names the sheet, the row and the column; a person bad on a later role row is rejected', async () => {
    const data = await buildXlsx({
      人员: [
        PEOPLE_HEADERS,
        ['p2', '李四', '13900000002', '', '', '检查员', 'county'],
        PERSON_ROW,
        ['p2', '', '', '', '', '镇长', 'region:nowhere'],
      ],
      企业: [ENTERPRISE_HEADERS, ENTERPRISE_ROW],
    });
    const parsed = await parseDirectoryFiles([{ name: '名录.xlsx', data }]);
    expect(problems(parsed).map((p) => p.split(':')[0])).toEqual([
      '人员 3 手机号',
      '人员 4 角色',
      '企业 2 统一社会信用代码',
      '企业 2 所属乡镇',
      '企业 2 主管部门',
      '企业 2 主要负责人',
      // Reference problems follow the field problems here; the import sorts them by sheet and row.
      '人员 4 范围',
      '人员 3 范围',
    ]);
    expect(parsed.input.people).toEqual([]);
    expect(parsed.input.rejected.people.map((p) => p.code)).toEqual(['p2', 'p1']);
  });

  it('lists the first 100 problems and counts the rest', () => {
    const issues = Array.from({ length: LISTED_ISSUES + 7 }, (_, i) => ({ sheet: '人员', row: i + 2, reason: 'x' }));
    const { listed, more, moreText } = listIssues(issues);
    expect(listed).toHaveLength(100);
    expect(listed[99]!.row).toBe(101);
    expect(more).toBe(7);
    expect(moreText).toBe('另有 7 处问题未列出');
    expect(listIssues(issues.slice(0, 3))).toEqual({ listed: issues.slice(0, 3), more: 0, moreText: '' });
  });
});

describe('the other imports name every problem too', () => {
  it('the escalation policy: a step with two bad fields names both', () => {
    const result = parsePolicy({
      version: 1,
      steps: [{ id: 'a', who: [], when: { on: 'reported' }, channel: 'sms' }],
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => e.path)).toEqual(['steps[0].who', 'steps[0].channel']);
  });

  // Known gap, reported to the lead rather than fixed here (escalation-policy.ts is being changed elsewhere): the
  // cross-step checks run in a superRefine, which zod skips while any field is wrong. Flip to `it` once fixed.
  it('the escalation policy: a duplicate step id is named along with a bad field of another step', () => {
    const step = (id: string, channel = 'card') => ({ id, who: ['responsible'], when: { on: 'reported' }, channel });
    const result = parsePolicy({ version: 1, steps: [step('a'), step('a'), step('b', 'sms')] });
    expect(!result.ok && result.errors.map((e) => e.path)).toEqual(['steps[1].id', 'steps[2].channel']);
  });

  it('the holiday file: an entry with a bad date and a bad name names both', () => {
    const result = parseHolidayFile(JSON.stringify({ 2027: { holidays: { '2027-13-01': '' } } }), PACKAGE_HOLIDAYS);
    expect(!result.ok && result.errors).toEqual([
      { path: '2027.holidays.2027-13-01', reason: '应为 2027 年内的日期，写成 YYYY-MM-DD' },
      { path: '2027.holidays.2027-13-01', reason: expect.stringContaining('应为节日名称') },
    ]);
  });

  it('the reminder settings: a bad holiday file and a bad policy file are refused together, each problem named', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'settings-'));
    const holidays = path.join(dir, 'holidays.json');
    const policy = path.join(dir, 'policy.json');
    writeFileSync(holidays, JSON.stringify({ 2027: { holidays: { '2027-02-30': '春节' } } }));
    writeFileSync(policy, JSON.stringify({ version: 2, steps: [] }));
    const attempt = () => loadReminderSettings(loadConfig({ HOLIDAYS_FILE: holidays, ESCALATION_POLICY_FILE: policy }));
    expect(attempt).toThrow(PolicyFileError);
    expect(attempt).toThrow(
      /HOLIDAYS_FILE .* 有 1 处问题（is invalid）：\n {2}- 2027\.holidays\.2027-02-30：应为 2027 年内的日期/,
    );
    expect(attempt).toThrow(
      /ESCALATION_POLICY_FILE .* 有 2 处问题（is invalid）：\n {2}- version：应为 1\n {2}- steps：/,
    );
  });
});
