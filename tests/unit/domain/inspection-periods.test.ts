import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  calendarPeriod,
  countedUntil,
  drawKey,
  drawSample,
  type PlanSchedule,
  periodContaining,
  planPosition,
  previousPeriod,
  sampleSize,
  unitCoverage,
} from '../../../src/domain/inspection-periods.js';

const monthly: PlanSchedule = { from: '2026-01-15', to: '2026-12-31', every: 'month' };
const quarterly: PlanSchedule = { from: '2026-01-01', to: '2026-12-31', every: 'quarter' };
const yearly: PlanSchedule = { from: '2025-07-01', to: '2027-03-31', every: 'year' };
const once: PlanSchedule = { from: '2026-03-01', to: '2026-06-30', every: 'once' };

describe('periods', () => {
  it('are calendar months, quarters and years', () => {
    expect(calendarPeriod('month', '2026-02-10')).toEqual({ start: '2026-02-01', end: '2026-02-28' });
    expect(calendarPeriod('month', '2028-02-10')).toEqual({ start: '2028-02-01', end: '2028-02-29' });
    expect(calendarPeriod('quarter', '2026-05-31')).toEqual({ start: '2026-04-01', end: '2026-06-30' });
    expect(calendarPeriod('quarter', '2026-12-01')).toEqual({ start: '2026-10-01', end: '2026-12-31' });
    expect(calendarPeriod('year', '2026-07-04')).toEqual({ start: '2026-01-01', end: '2026-12-31' });
    expect(() => calendarPeriod('month', '2026-02-30')).toThrow(RangeError);
  });

  it('are clipped to the plan, and `once` is the whole plan', () => {
    expect(periodContaining(monthly, '2026-01-20')).toEqual({ start: '2026-01-15', end: '2026-01-31' });
    expect(periodContaining(yearly, '2027-02-01')).toEqual({ start: '2027-01-01', end: '2027-03-31' });
    expect(periodContaining(yearly, '2025-08-01')).toEqual({ start: '2025-07-01', end: '2025-12-31' });
    expect(periodContaining(once, '2026-04-01')).toEqual({ start: '2026-03-01', end: '2026-06-30' });
    expect(periodContaining(monthly, '2026-01-14')).toBeNull();
    expect(periodContaining(monthly, '2027-01-01')).toBeNull();
  });

  it('have a previous one except the first', () => {
    expect(previousPeriod(monthly, { start: '2026-03-01', end: '2026-03-31' })).toEqual({
      start: '2026-02-01',
      end: '2026-02-28',
    });
    expect(previousPeriod(monthly, { start: '2026-02-01', end: '2026-02-28' })).toEqual({
      start: '2026-01-15',
      end: '2026-01-31',
    });
    expect(previousPeriod(monthly, { start: '2026-01-15', end: '2026-01-31' })).toBeNull();
    expect(previousPeriod(quarterly, periodContaining(quarterly, '2026-04-02')!)).toEqual({
      start: '2026-01-01',
      end: '2026-03-31',
    });
    expect(previousPeriod(once, periodContaining(once, '2026-05-01')!)).toBeNull();
  });

  it('place a date in a plan: nothing before it begins, the last period once it has ended', () => {
    expect(planPosition(monthly, '2026-01-01')).toBeNull();
    expect(planPosition(monthly, '2026-03-10')).toEqual({
      period: { start: '2026-03-01', end: '2026-03-31' },
      previous: { start: '2026-02-01', end: '2026-02-28' },
      ended: false,
    });
    expect(planPosition(once, '2026-07-01')).toEqual({
      period: { start: '2026-03-01', end: '2026-06-30' },
      previous: null,
      ended: true,
    });
    expect(countedUntil(once, '2026-07-05')).toBe('2026-06-30');
    expect(countedUntil(once, '2026-05-05')).toBe('2026-05-05');
  });
});

describe('a unit’s coverage', () => {
  it('is done when inspected in the current period', () => {
    expect(unitCoverage(monthly, '2026-03-20', '2026-03-01')).toEqual({
      status: 'done',
      dueBy: null,
      neverInspected: false,
    });
  });

  it('is due while the period runs and the previous one was done', () => {
    expect(unitCoverage(monthly, '2026-03-20', '2026-02-27')).toEqual({
      status: 'due',
      dueBy: '2026-03-31',
      neverInspected: false,
    });
  });

  it('is overdue when the previous period ended without an inspection, due by the end it missed', () => {
    expect(unitCoverage(monthly, '2026-03-20', '2026-01-20')).toEqual({
      status: 'overdue',
      dueBy: '2026-02-28',
      neverInspected: false,
    });
    expect(unitCoverage(monthly, '2026-03-20', null)).toEqual({
      status: 'overdue',
      dueBy: '2026-02-28',
      neverInspected: true,
    });
  });

  it('is only due in the first period, even never inspected', () => {
    expect(unitCoverage(monthly, '2026-01-20', null)).toEqual({
      status: 'due',
      dueBy: '2026-01-31',
      neverInspected: true,
    });
  });

  it('flags a unit inspected only before the plan began as never inspected', () => {
    expect(unitCoverage(quarterly, '2026-02-01', '2025-12-30')).toEqual({
      status: 'due',
      dueBy: '2026-03-31',
      neverInspected: true,
    });
  });

  it('for `once`: due until the plan ends, overdue after', () => {
    expect(unitCoverage(once, '2026-06-30', null)?.status).toBe('due');
    expect(unitCoverage(once, '2026-07-01', null)).toEqual({
      status: 'overdue',
      dueBy: '2026-06-30',
      neverInspected: true,
    });
    expect(unitCoverage(once, '2026-07-01', '2026-04-01')?.status).toBe('done');
  });

  it('of a sampled unit not drawn last period cannot be overdue for it', () => {
    expect(unitCoverage(monthly, '2026-03-20', null, { requiredInPrevious: false })?.status).toBe('due');
  });

  it('is nothing before the plan begins', () => {
    expect(unitCoverage(monthly, '2026-01-01', null)).toBeNull();
  });
});

describe('双随机 draw', () => {
  const units = Array.from({ length: 40 }, (_, i) => ({ code: `e${String(i).padStart(3, '0')}`, id: i + 1 }));

  it('takes a share rounded up, or a count, never more than there are', () => {
    expect(sampleSize({ share: 0.2 }, 40)).toBe(8);
    expect(sampleSize({ share: 0.2 }, 41)).toBe(9);
    expect(sampleSize({ share: 0.1 }, 30)).toBe(3);
    expect(sampleSize({ share: 0.001 }, 10)).toBe(1);
    expect(sampleSize({ share: 1 }, 7)).toBe(7);
    expect(sampleSize({ count: 10 }, 40)).toBe(10);
    expect(sampleSize({ count: 10 }, 4)).toBe(4);
    expect(sampleSize({ count: 10 }, 0)).toBe(0);
  });

  it('gives the same pick for the same seed and candidates, in any input order', () => {
    const first = drawSample('00ff', units, { count: 5 });
    expect(first).toHaveLength(5);
    expect(drawSample('00ff', [...units].reverse(), { count: 5 })).toEqual(first);
    expect(drawSample('00ff', units, { count: 5 })).toEqual(first);
    // answered in code order
    expect(first.map((u) => u.code)).toEqual([...first.map((u) => u.code)].sort());
  });

  it('gives another pick for another seed', () => {
    const picks = new Set(
      ['a', 'b', 'c', 'd'].map((seed) =>
        drawSample(seed, units, { share: 0.25 })
          .map((u) => u.code)
          .join(','),
      ),
    );
    expect(picks.size).toBeGreaterThan(1);
  });

  it('picks the candidates with the smallest SHA-256 of `<seed>:<code>`, which anyone can recompute', () => {
    const seed = '9f86d081884c7d65';
    const expected = units
      .map((u) => ({ code: u.code, key: createHash('sha256').update(`${seed}:${u.code}`).digest('hex') }))
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .slice(0, 6)
      .map((u) => u.code)
      .sort();
    expect(drawSample(seed, units, { count: 6 }).map((u) => u.code)).toEqual(expected);
    expect(drawKey(seed, 'e001')).toBe(createHash('sha256').update(`${seed}:e001`).digest('hex'));
  });

  it('spreads over the candidates (each unit drawn about as often over many seeds)', () => {
    const hits = new Map<string, number>();
    for (let s = 0; s < 2000; s++) {
      for (const u of drawSample(`seed-${s}`, units, { count: 4 })) hits.set(u.code, (hits.get(u.code) ?? 0) + 1);
    }
    // 2000 × 4 / 40 = 200 each on average
    expect(hits.size).toBe(40);
    expect(Math.min(...hits.values())).toBeGreaterThan(130);
    expect(Math.max(...hits.values())).toBeLessThan(270);
  });
});
