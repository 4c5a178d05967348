/**
 * Hazard clocks (domain/hazard-clocks.ts): the one writer of `hazard_clocks`. A feature starts its kind's clock in
 * the transaction of the change that starts the duty (for the sweep, that transaction should change the hazard row
 * too, as a report does, so that steps already due are read at once) and stops it in the one that ends the duty.
 */
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { hazardClocks } from '../db/schema/index.js';
import {
  type Calendar,
  calendarCounting,
  clockDueDate,
  clockLength,
  type EscalationPolicy,
  type HazardClockKind,
  type LocalDate,
} from '../domain/index.js';

export type HazardClockRow = typeof hazardClocks.$inferSelect;

/** The due date of a clock of `kind` started at `at`, as the policy file sets its length. */
export function dueDateOf(kind: HazardClockKind, at: Date, policy: EscalationPolicy, calendar: Calendar): LocalDate {
  const length = clockLength(kind, policy.clocks[kind]);
  return clockDueDate(calendarCounting(calendar, length.counting), at, length);
}

/** Starts a clock of `kind` for the hazard, due `due` (one running clock per kind: a running one stays as it is). */
export async function startClock(
  tx: Db,
  input: { hazardId: number; kind: HazardClockKind; at: Date; due: LocalDate },
): Promise<void> {
  await tx
    .insert(hazardClocks)
    .values({ hazardId: input.hazardId, kind: input.kind, startedAt: input.at, due: input.due })
    .onConflictDoNothing();
}

/** Stops the hazard's running clock of `kind` (or every running clock); answers how many stopped. */
export async function stopClock(
  tx: Db,
  input: { hazardId: number; kind?: HazardClockKind; at: Date; reason: string },
): Promise<number> {
  const stopped = await tx
    .update(hazardClocks)
    .set({ stoppedAt: input.at, stopReason: input.reason })
    .where(
      and(
        eq(hazardClocks.hazardId, input.hazardId),
        isNull(hazardClocks.stoppedAt),
        ...(input.kind ? [eq(hazardClocks.kind, input.kind)] : []),
      ),
    )
    .returning({ id: hazardClocks.id });
  return stopped.length;
}

/** The hazard's clocks of `kind`, running or stopped, oldest first. */
export async function clocksOf(db: Db, hazardId: number, kind: HazardClockKind): Promise<HazardClockRow[]> {
  return db
    .select()
    .from(hazardClocks)
    .where(and(eq(hazardClocks.hazardId, hazardId), eq(hazardClocks.kind, kind)))
    .orderBy(asc(hazardClocks.id));
}
