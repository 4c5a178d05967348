/**
 * The handlers' cards after a step: every card of the tip still shown is brought up to date (patched in place), so a
 * second handler sees at once that the tip was taken or decided. The clicked card is answered by the click itself.
 */
import type { Db } from '../db/client.js';
import type { Calendar } from '../domain/index.js';
import { enqueueCardUpdates, flushBufferedOutbox } from '../feishu/outbox.js';
import { buildTipCard } from './cards.js';
import { activeTipCards, type TipRow } from './repository.js';
import { buildTipCardView } from './view.js';

export async function refreshTipCards(
  db: Db,
  tip: TipRow,
  calendar: Pick<Calendar, 'toLocal'>,
  skipOutboxId?: string | null,
): Promise<void> {
  await flushBufferedOutbox(db);
  const cards = await activeTipCards(db, tip.id);
  if (cards.length === 0) return;
  const content = buildTipCard(await buildTipCardView(db, tip, calendar));
  await enqueueCardUpdates(
    db,
    cards.filter((c) => c.outboxId !== skipOutboxId).map((c) => ({ outboxId: c.outboxId, card: content })),
  );
}
