import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { createCalendar } from '../../src/domain/calendar.js';
import { FilterError, parseFilters } from '../../src/ledger/filters.js';
import { decodeCursor, encodeCursor } from '../../src/ledger/query.js';
import { COUNTY_SCOPE, scopeCondition } from '../../src/ledger/scope.js';
import { parsePeriod, statutoryReportsDue } from '../../src/ledger/statutory.js';
import { escapeCell } from '../../src/ledger/xlsx.js';

const calendar = createCalendar({ timeZone: 'Asia/Shanghai' });
const dialect = new PgDialect();
const render = (scope: Parameters<typeof scopeCondition>[0]) => dialect.sqlToQuery(scopeCondition(scope));

describe('scopeCondition', () => {
  const none = { county: false, regionIds: [], departmentIds: [], enterpriseIds: [], personId: null };
  it('is true for the county and false for a scope with nothing in it', () => {
    expect(render(COUNTY_SCOPE).sql).toBe('true');
    expect(render(none).sql).toBe('false');
  });
  it('ors regions, departments, units and the person’s own hazards', () => {
    const query = render({ county: false, regionIds: [3, 4], departmentIds: [7], enterpriseIds: [9], personId: 12 });
    expect(query.sql).toBe(
      '("hazards"."region_id" in ($1, $2) or "hazards"."department_id" in ($3) or "hazards"."enterprise_id" in ($4) or "hazards"."responsible_id" = $5 or "hazards"."reporter_id" = $6)',
    );
    expect(query.params).toEqual([3, 4, 7, 9, 12, 12]);
  });
  it('gives a person without roles only their own hazards', () => {
    const query = render({ ...none, personId: 5 });
    expect(query.sql).toBe('("hazards"."responsible_id" = $1 or "hazards"."reporter_id" = $2)');
  });
});

describe('escapeCell', () => {
  it('prefixes what a spreadsheet would evaluate, and only that', () => {
    for (const text of ['=1+1', '+86', '-3℃', '@SUM(A1)', '\tx', '\rx']) expect(escapeCell(text)).toBe(`'${text}`);
    for (const text of ['储罐 =1', '1-2', "'quoted", '']) expect(escapeCell(text)).toBe(text);
  });
});

describe('parseFilters', () => {
  it('reads lists, Chinese words and dates', () => {
    expect(
      parseFilters({
        township: 'town-01,town-02',
        sector: ['工贸', '消防'],
        grade: '重大',
        status: '未闭环',
        overdue: 'true',
        from: '2026-01-01',
        to: '2026-03-31',
      }),
    ).toEqual({
      townships: ['town-01', 'town-02'],
      sectors: ['工贸', '消防'],
      grades: ['major'],
      statuses: ['reported', 'rectifying', 'pending_verification', 'pending_delisting'],
      overdue: true,
      from: '2026-01-01',
      to: '2026-03-31',
    });
    expect(parseFilters({})).toEqual({});
  });
  it('names the parameter to fix', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ grade: 'big' }, 'grade'],
      [{ status: 'open,x' }, 'status'],
      [{ overdue: 'yes please' }, 'overdue'],
      [{ from: '2026-02-30' }, 'from'],
      [{ to: '20260101' }, 'to'],
      [{ overdue: ['true', 'false'] }, 'overdue'],
    ];
    for (const [query, parameter] of cases) {
      expect(() => parseFilters(query)).toThrow(FilterError);
      try {
        parseFilters(query);
      } catch (error) {
        expect((error as FilterError).parameter).toBe(parameter);
      }
    }
  });
});

describe('cursors', () => {
  it('round-trip and refuse another sort or garbage', () => {
    const cursor = encodeCursor({ s: '-reported_at', k: ['2026-05-01 10:00:00.123456+08', 42] });
    expect(decodeCursor(cursor, '-reported_at')).toEqual({
      s: '-reported_at',
      k: ['2026-05-01 10:00:00.123456+08', 42],
    });
    expect(() => decodeCursor(cursor, 'code')).toThrow(/sort/);
    expect(() => decodeCursor('%%%', 'code')).toThrow(/cursor/);
    expect(() => decodeCursor(Buffer.from('{"s":"code","k":[1]}').toString('base64url'), 'code')).toThrow(/cursor/);
  });
});

describe('statutory periods (16号令 第十四条)', () => {
  it('parses quarters and years with their due dates', () => {
    expect(parsePeriod('2026Q1')).toMatchObject({ from: '2026-01-01', to: '2026-03-31', due: '2026-04-15' });
    expect(parsePeriod('2026-q4')).toMatchObject({ key: '2026Q4', to: '2026-12-31', due: '2027-01-15' });
    expect(parsePeriod('2026')).toMatchObject({ kind: 'year', due: '2027-01-31', label: '2026年度' });
    for (const bad of ['2026Q5', '26Q1', 'Q1', '2026-13', '']) expect(parsePeriod(bad)).toBeNull();
  });
  it('is due from five days before the due date up to it, and not before the period ends', () => {
    const at = (local: string) => calendar.atLocalTime(local, '09:00');
    expect(statutoryReportsDue(at('2026-04-09'), calendar)).toEqual([]);
    expect(statutoryReportsDue(at('2026-04-10'), calendar).map((p) => p.key)).toEqual(['2026Q1']);
    expect(statutoryReportsDue(at('2026-04-15'), calendar).map((p) => p.key)).toEqual(['2026Q1']);
    expect(statutoryReportsDue(at('2026-04-16'), calendar)).toEqual([]);
    expect(statutoryReportsDue(at('2027-01-12'), calendar).map((p) => p.key)).toEqual(['2026Q4']);
    expect(statutoryReportsDue(at('2027-01-28'), calendar).map((p) => p.key)).toEqual(['2026']);
  });
});
