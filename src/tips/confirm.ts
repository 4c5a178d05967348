/**
 * 属实 completed: the hazard registered from a tip's report form confirms the tip (linked both ways: the hazard's
 * source is `public_tip`, the tip holds the hazard) and answers the tipster; the hazard's closing answers them again.
 * Called inside the hazards' own transactions (report, close); imports nothing of hazards/, so no cycle.
 */
import type { Db } from '../db/client.js';
import type { Actor, Calendar } from '../domain/index.js';
import { canHandleTip, type TipStatus, transitionTip } from '../domain/tip.js';
import { refreshTipCards } from './delivery.js';
import { loadTipById, saveTipChange, tipOfHazard } from './repository.js';
import { placeOfTip } from './routing.js';

/** The tip a report form was opened for (the draft's `tip`). */
export interface TipOrigin {
  tipId: number;
  code: string;
}

/** Null when the report may confirm the tip; otherwise why not, for the reporter's toast. Locks the tip. */
export async function checkTipForReport(tx: Db, origin: TipOrigin, actor: Actor): Promise<string | null> {
  const tip = await loadTipById(tx, origin.tipId, { forUpdate: true });
  if (!tip) return `举报 ${origin.code} 不存在`;
  const may = canHandleTip(actor, await placeOfTip(tx, tip));
  if (!may.allowed) return may.reason;
  const next = transitionTip(
    { status: tip.status as TipStatus, hazardCode: null },
    { type: 'confirm', hazardCode: '' },
  );
  return next.ok ? null : next.message;
}

export async function confirmTipWithHazard(
  tx: Db,
  input: { origin: TipOrigin; hazardId: number; hazardCode: string; actorId: number; calendar: Calendar; now: Date },
): Promise<void> {
  const tip = (await loadTipById(tx, input.origin.tipId, { forUpdate: true }))!;
  const next = transitionTip(
    { status: tip.status as TipStatus, hazardCode: null },
    { type: 'confirm', hazardCode: input.hazardCode },
  );
  if (!next.ok) throw new Error(`tip ${tip.code} cannot be confirmed: ${next.message}`);
  const saved = await saveTipChange(tx, tip, {
    status: next.status,
    actorId: input.actorId,
    at: input.now,
    event: { type: 'confirmed', details: { hazard: input.hazardCode } },
    answer: next.answer,
    decided: true,
    hazardId: input.hazardId,
  });
  await refreshTipCards(tx, saved, input.calendar);
}

/** The hazard registered from a tip was closed: the tipster is told. Nothing when the hazard came from no tip. */
export async function answerTipOnHazardClosed(
  tx: Db,
  input: { hazardId: number; hazardCode: string; actorId: number | null; calendar: Calendar; now: Date },
): Promise<void> {
  const tip = await tipOfHazard(tx, input.hazardId, { forUpdate: true });
  if (!tip) return;
  const next = transitionTip(
    { status: tip.status as TipStatus, hazardCode: input.hazardCode },
    { type: 'hazardClosed' },
  );
  if (!next.ok) return;
  const saved = await saveTipChange(tx, tip, {
    status: next.status,
    actorId: input.actorId,
    at: input.now,
    event: { type: 'hazard_closed', details: { hazard: input.hazardCode } },
    answer: next.answer,
  });
  await refreshTipCards(tx, saved, input.calendar);
}
