/**
 * The deadlines a decision sets (驳回, 同意延期), so that the government's own time is never the unit's fault: a
 * rectification that waits for verification, or an extension request that waits for approval, must not come back
 * to the unit already overdue. Each default keeps the days the unit had (or asked for) and counts them from the
 * decision, in the calendar's days (calendar or working days).
 */
import type { Calendar } from './calendar.js';
import type { ExtensionRequest, Hazard } from './hazard.js';
import type { LocalDate } from './vocabulary.js';

/** `date`, or the latest deadline the calendar allows at `now` when `date` lies beyond it. */
function withinLatest(date: LocalDate, now: Date, calendar: Calendar): LocalDate {
  const latest = calendar.latestDeadline(now);
  return date > latest ? latest : date;
}

/**
 * The days the unit had left when it submitted the rectification now being verified: from the submission's local
 * date to the deadline, at least one (a submission on the last day, or after it, still gets a day to redo the work).
 */
export function daysLeftAtSubmission(hazard: Pick<Hazard, 'rectifiedAt' | 'deadline'>, calendar: Calendar): number {
  if (!hazard.rectifiedAt) return 1;
  return Math.max(1, calendar.countDays(calendar.localDate(hazard.rectifiedAt), hazard.deadline));
}

/** 驳回's default new deadline: the days the unit had left when it submitted, counted from `now` (the rejection). */
export function rejectionDeadline(
  hazard: Pick<Hazard, 'rectifiedAt' | 'deadline'>,
  now: Date,
  calendar: Calendar,
): LocalDate {
  const days = daysLeftAtSubmission(hazard, calendar);
  return withinLatest(calendar.addDays(calendar.localDate(now), days).date, now, calendar);
}

/** The days an extension request asked for: from the local day it was asked to the date asked, at least one. */
export function extensionDaysAsked(request: Pick<ExtensionRequest, 'requestedAt' | 'newDeadline'>, calendar: Calendar) {
  return Math.max(1, calendar.countDays(calendar.localDate(request.requestedAt), request.newDeadline));
}

/** True once the date an extension asked for has ended: approving it as asked would set a deadline in the past. */
export function extensionDatePassed(request: Pick<ExtensionRequest, 'newDeadline'>, now: Date, calendar: Calendar) {
  return now.getTime() >= calendar.deadlineInstant(request.newDeadline).getTime();
}

/**
 * Whether 同意延期 must ask the approver for a date instead of taking the one asked: the date has passed, or it no
 * longer moves the deadline (a rejection set a later one meanwhile). The reason, in Chinese, or null.
 */
export function extensionNeedsNewDate(
  hazard: Pick<Hazard, 'deadline' | 'extensionRequest'>,
  now: Date,
  calendar: Calendar,
): string | null {
  const request = hazard.extensionRequest;
  if (!request) return null;
  if (extensionDatePassed(request, now, calendar)) {
    return `申请延期至 ${request.newDeadline}，该日期已过`;
  }
  if (request.newDeadline <= hazard.deadline) {
    return `申请延期至 ${request.newDeadline}，不晚于当前整改期限 ${hazard.deadline}`;
  }
  return null;
}

/**
 * 同意延期's default date when one must be chosen: as many days as the unit asked for, counted from `now` — and
 * never on or before the current deadline, which would be no extension at all.
 */
export function extensionDeadline(
  hazard: Pick<Hazard, 'deadline'> & { extensionRequest: Pick<ExtensionRequest, 'requestedAt' | 'newDeadline'> },
  now: Date,
  calendar: Calendar,
): LocalDate {
  const asked = calendar.addDays(calendar.localDate(now), extensionDaysAsked(hazard.extensionRequest, calendar)).date;
  const dayAfterDeadline = calendar.addDays(hazard.deadline, 1).date;
  return withinLatest(asked > dayAfterDeadline ? asked : dayAfterDeadline, now, calendar);
}
