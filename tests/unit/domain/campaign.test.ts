import { describe, expect, it } from 'vitest';
import {
  CampaignPeriodError,
  campaignYearOf,
  campaignYearStart,
  classifyMajor,
  closedInPeriod,
  defaultCampaignPeriod,
  type MajorHazardDays,
  medianOfCounts,
  openAt,
  openPastDeadline,
  overdueRateOf,
  parseCampaignPeriod,
  type RankedCounts,
  rankByMedianDays,
  rankByOverdueRate,
} from '../../../src/domain/index.js';

const TODAY = '2026-05-20';

describe('the campaign period', () => {
  it('is the year of its last day; the default runs from 1 January to today', () => {
    expect(campaignYearOf({ to: '2026-05-20' })).toBe(2026);
    expect(campaignYearStart({ to: '2025-12-31' })).toBe('2025-01-01');
    // A period across the new year belongs to the year it ends in.
    expect(campaignYearStart({ to: '2026-01-10' })).toBe('2026-01-01');
    expect(defaultCampaignPeriod(TODAY)).toEqual({ from: '2026-01-01', to: TODAY });
  });

  it('parses from/to: defaults, a to after today held to today, and bad input named', () => {
    expect(parseCampaignPeriod({}, TODAY)).toEqual({ from: '2026-01-01', to: TODAY });
    expect(parseCampaignPeriod({ to: '2025-06-30' }, TODAY)).toEqual({ from: '2025-01-01', to: '2025-06-30' });
    expect(parseCampaignPeriod({ from: '2025-10-01' }, TODAY)).toEqual({ from: '2025-10-01', to: TODAY });
    expect(parseCampaignPeriod({ from: '2026-03-01', to: '2027-01-01' }, TODAY)).toEqual({
      from: '2026-03-01',
      to: TODAY,
    });
    const fails = (input: { from?: string; to?: string }) => {
      try {
        parseCampaignPeriod(input, TODAY);
      } catch (error) {
        expect(error).toBeInstanceOf(CampaignPeriodError);
        return (error as CampaignPeriodError).parameter;
      }
      throw new Error(`accepted ${JSON.stringify(input)}`);
    };
    expect(fails({ from: '2026-02-30' })).toBe('from');
    expect(fails({ to: '20260520' })).toBe('to');
    expect(fails({ from: '2026-05-01', to: '2026-04-01' })).toBe('from');
    // A period starting after today would end before it starts.
    expect(fails({ from: '2026-06-01' })).toBe('from');
    expect(fails({ from: '2010-01-01', to: '2026-01-01' })).toBe('from');
  });
});

describe('存量 and 增量', () => {
  const period = { from: '2026-03-01', to: '2026-05-20' };
  const hazard = (foundOn: string, closedOn: string | null, deadline = '2026-06-30'): MajorHazardDays => ({
    foundOn,
    closedOn,
    deadline,
  });

  it('存量: found before 1 January and not 销号 on it; 增量: found from 1 January to the end', () => {
    expect(classifyMajor(hazard('2025-11-03', null), period)).toBe('stock');
    // Closed on 1 January itself: it was still open at the start of that day.
    expect(classifyMajor(hazard('2025-11-03', '2026-01-01'), period)).toBe('stock');
    expect(classifyMajor(hazard('2025-11-03', '2025-12-31'), period)).toBeNull();
    expect(classifyMajor(hazard('2025-12-31', '2026-04-01'), period)).toBe('stock');
    expect(classifyMajor(hazard('2026-01-01', null), period)).toBe('increment');
    // Found in the campaign year before the period's own start: still 增量 of the year.
    expect(classifyMajor(hazard('2026-02-10', '2026-02-20'), period)).toBe('increment');
    expect(classifyMajor(hazard('2026-05-20', null), period)).toBe('increment');
    expect(classifyMajor(hazard('2026-05-21', null), period)).toBeNull();
  });

  it('closed counts 销号 within the period, open those not 销号 by its end', () => {
    const early = hazard('2025-11-03', '2026-02-01');
    expect([closedInPeriod(early, period), openAt(early, period.to)]).toEqual([false, false]);
    const inside = hazard('2025-11-03', '2026-03-01');
    expect([closedInPeriod(inside, period), openAt(inside, period.to)]).toEqual([true, false]);
    const after = hazard('2026-04-01', '2026-05-21');
    expect([closedInPeriod(after, period), openAt(after, period.to)]).toEqual([false, true]);
  });

  it('动态清零 fails on a major hazard open past its deadline, not on one due today or closed late', () => {
    expect(openPastDeadline(hazard('2026-04-01', null, '2026-05-19'), TODAY)).toBe(true);
    expect(openPastDeadline(hazard('2026-04-01', null, TODAY), TODAY)).toBe(false);
    expect(openPastDeadline(hazard('2026-04-01', '2026-05-20', '2026-05-01'), TODAY)).toBe(false);
    // Closed only after the day judged: open then, and late.
    expect(openPastDeadline(hazard('2026-04-01', '2026-05-25', '2026-05-01'), TODAY)).toBe(true);
  });
});

describe('medians and rankings', () => {
  it('the median of a histogram: the middle value, the mean of the two middles for an even count', () => {
    expect(medianOfCounts([])).toBeNull();
    expect(medianOfCounts([[5, 0]])).toBeNull();
    expect(medianOfCounts([[7, 1]])).toBe(7);
    expect(
      medianOfCounts([
        [10, 1],
        [2, 1],
        [3, 1],
      ]),
    ).toBe(3);
    expect(
      medianOfCounts([
        [2, 1],
        [10, 1],
      ]),
    ).toBe(6);
    // 1,1,1,4,9,9 → (1 + 4) / 2
    expect(
      medianOfCounts(
        new Map([
          [9, 2],
          [1, 3],
          [4, 1],
        ]),
      ),
    ).toBe(2.5);
    // 0,0,5,5 → 2.5; 0,0,0,5 → 0
    expect(
      medianOfCounts([
        [0, 2],
        [5, 2],
      ]),
    ).toBe(2.5);
    expect(
      medianOfCounts([
        [0, 3],
        [5, 1],
      ]),
    ).toBe(0);
  });

  const row = (code: string, open: number, overdue: number, closed: number, median: number | null): RankedCounts => ({
    code,
    name: code,
    open,
    overdue,
    overdueRate: overdueRateOf(overdue, open),
    closed,
    medianDaysToClose: median,
  });

  it('by overdue rate, worst first: rate, then more overdue, then more open, then code', () => {
    const rows = [
      row('a', 10, 1, 0, null),
      row('b', 4, 2, 0, null),
      row('c', 0, 0, 5, 3),
      row('d', 8, 4, 0, null),
      row('e', 20, 2, 0, null),
    ];
    expect(rankByOverdueRate(rows).map((r) => r.code)).toEqual(['d', 'b', 'e', 'a', 'c']);
    expect(overdueRateOf(1, 3)).toBe(0.3333);
    expect(overdueRateOf(0, 0)).toBe(0);
  });

  it('by median days, slowest first; none closed in the period last', () => {
    const rows = [
      row('a', 1, 0, 3, 4),
      row('b', 5, 0, 0, null),
      row('c', 1, 0, 9, 12.5),
      row('d', 1, 0, 5, 4),
      row('e', 9, 0, 0, null),
    ];
    expect(rankByMedianDays(rows).map((r) => r.code)).toEqual(['c', 'd', 'a', 'e', 'b']);
  });
});
