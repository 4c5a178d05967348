import { describe, expect, it } from 'vitest';
import { createCalendar } from '../../../src/domain/calendar.js';
import {
  currentDutyQuarter,
  DUTY_SEND_AT,
  dutyPeriodsOn,
  dutySchedule,
  parsePeriod,
} from '../../../src/domain/statutory-period.js';
import { rateText } from '../../../src/ledger/cards/statistics-duty-card.js';

const on = (day: string) => dutyPeriodsOn(day).map((d) => `${d.period.key}${d.remind ? ':remind' : ''}`);

describe('the statistics duty’s calendar (16号令 第十四条)', () => {
  it('sends before the due date: the 5th of the due month for a quarter, 20 January for the year', () => {
    expect(dutySchedule(parsePeriod('2026Q1')!)).toEqual({
      send: '2026-04-05',
      remind: '2026-04-12',
      due: '2026-04-15',
    });
    expect(dutySchedule(parsePeriod('2026Q3')!)).toEqual({
      send: '2026-10-05',
      remind: '2026-10-12',
      due: '2026-10-15',
    });
    // Q4 crosses the year; the annual table is due on 31 January, its reminder on the 28th.
    expect(dutySchedule(parsePeriod('2026Q4')!)).toEqual({
      send: '2027-01-05',
      remind: '2027-01-12',
      due: '2027-01-15',
    });
    expect(dutySchedule(parsePeriod('2026')!)).toEqual({ send: '2027-01-20', remind: '2027-01-28', due: '2027-01-31' });
    // A leap year's quarter ends on 31 March whatever February had.
    expect(parsePeriod('2028Q1')).toMatchObject({ from: '2028-01-01', to: '2028-03-31', due: '2028-04-15' });
  });

  it('runs from the send day to the due date, both included, and reminds from the reminder day', () => {
    expect(on('2026-04-04')).toEqual([]);
    expect(on('2026-04-05')).toEqual(['2026Q1']);
    expect(on('2026-04-11')).toEqual(['2026Q1']);
    expect(on('2026-04-12')).toEqual(['2026Q1:remind']);
    expect(on('2026-04-15')).toEqual(['2026Q1:remind']);
    expect(on('2026-04-16')).toEqual([]);
    expect(on('2026-12-31')).toEqual([]);
    // January: the last year's Q4 first, then its annual table, never both on one day.
    expect(on('2027-01-05')).toEqual(['2026Q4']);
    expect(on('2027-01-15')).toEqual(['2026Q4:remind']);
    expect(on('2027-01-16')).toEqual([]);
    expect(on('2027-01-20')).toEqual(['2026']);
    expect(on('2027-01-31')).toEqual(['2026:remind']);
    expect(on('2027-02-01')).toEqual([]);
  });

  it('takes the local day: 09:00 in Shanghai is 01:00 UTC, and 00:30 on the 5th local is still the 4th in UTC', () => {
    const calendar = createCalendar({ timeZone: 'Asia/Shanghai' });
    const slot = calendar.atLocalTime('2026-10-05', DUTY_SEND_AT);
    expect(slot.toISOString()).toBe('2026-10-05T01:00:00.000Z');
    const justAfterMidnight = new Date('2026-10-04T16:30:00Z');
    expect(on(calendar.localDate(justAfterMidnight))).toEqual(['2026Q3']);
    expect(on(createCalendar({ timeZone: 'UTC' }).localDate(justAfterMidnight))).toEqual([]);
  });

  it('follows the latest quarter whose tables went out', () => {
    expect(currentDutyQuarter('2026-12-07').key).toBe('2026Q3');
    expect(currentDutyQuarter('2026-10-04').key).toBe('2026Q2');
    expect(currentDutyQuarter('2026-10-05').key).toBe('2026Q3');
    expect(currentDutyQuarter('2027-01-04').key).toBe('2026Q3');
    expect(currentDutyQuarter('2027-01-05').key).toBe('2026Q4');
  });

  it('shows a rate without a base as —', () => {
    expect(rateText(0, 0)).toBe('—');
    expect(rateText(1, 4)).toBe('25.0%');
    expect(rateText(3, 3)).toBe('100.0%');
  });
});
