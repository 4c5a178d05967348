/**
 * Quiet hours (免打扰时段) in words and against the working day: a window written the wrong way round
 * (`07:30-22:00` for `22:00-07:30`) would hold every ordinary reminder back all day, so the configuration asks for a
 * confirmation before a window may cover office hours, and the start-up log says the window in plain words.
 */
import type { QuietHours } from './calendar.js';
import { parseLocalTime } from './local-time.js';
import type { LocalTime } from './vocabulary.js';

/** The working day that quiet hours must leave alone unless confirmed: when officials read and act on reminders. */
export const WORKING_HOURS: Readonly<QuietHours> = Object.freeze({ start: '09:00', end: '17:00' });

const minutes = (time: LocalTime) => {
  const { hour, minute } = parseLocalTime(time);
  return hour * 60 + minute;
};
const clock = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** A window that starts where it ends holds no minute at all (it is not "all day", and not "off"). */
export function isEmptyQuietWindow(window: QuietHours): boolean {
  return minutes(window.start) === minutes(window.end);
}

/**
 * The parts of the working day (09:00–17:00) inside the quiet window, earliest first, as `HH:MM–HH:MM`; empty when
 * the window leaves the working day alone.
 */
export function workingHoursCovered(window: QuietHours): string[] {
  const start = minutes(window.start);
  const end = minutes(window.end);
  // The window as one or two same-day stretches [from, to).
  const stretches: [number, number][] =
    start < end
      ? [[start, end]]
      : start > end
        ? [
            [0, end],
            [start, 24 * 60],
          ]
        : [];
  const dayStart = minutes(WORKING_HOURS.start);
  const dayEnd = minutes(WORKING_HOURS.end);
  const covered: string[] = [];
  for (const [from, to] of stretches) {
    const a = Math.max(from, dayStart);
    const b = Math.min(to, dayEnd);
    if (a < b) covered.push(`${clock(a)}–${clock(b)}`);
  }
  return covered;
}

/** The window in words, e.g. `每天 22:00 至次日 07:30`. */
export function describeQuietWindow(window: QuietHours): string {
  const crossesMidnight = minutes(window.start) > minutes(window.end);
  return `每天 ${window.start} 至${crossesMidnight ? '次日 ' : ' '}${window.end}`;
}
