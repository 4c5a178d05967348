/**
 * The cards that show a hazard: sending one (outbox row + hazard_cards row, same transaction) and updating every
 * one of them after a change — patched in place, or re-sent when older than Feishu's 14-day update limit.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { hazardCards, outbox } from '../../db/schema/index.js';
import { type CardUpdate, enqueueCardUpdates, enqueueMessage, flushBufferedOutbox } from '../../feishu/outbox.js';
import type { CardAudience, HazardCardView } from './hazard-card.js';
import { type CardKind, renderHazardCard } from './living-card.js';

/** Feishu lets a JSON 2.0 card be updated for 14 days; past that (with a margin) a fresh card is sent. */
const CARD_UPDATE_LIMIT_MS = 13.5 * 24 * 3600 * 1000;

export interface CardRecipient {
  openId: string;
  audience: CardAudience;
  kind: CardKind;
}

/** Sends the hazard's card to each recipient and remembers it for later updates. */
export async function sendHazardCards(
  db: Db,
  hazard: { id: number; code: string },
  view: HazardCardView,
  recipients: CardRecipient[],
  now: Date,
): Promise<void> {
  for (const r of recipients) {
    const outboxId = await enqueueMessage(db, {
      to: { openId: r.openId },
      msgType: 'interactive',
      content: renderHazardCard(view, r.audience, r.kind),
      topic: `hazard:${hazard.code}:${r.kind}`,
    });
    await registerHazardCard(db, {
      hazardId: hazard.id,
      outboxId,
      recipient: r.openId,
      audience: r.audience,
      kind: r.kind,
      now,
    });
  }
}

export async function registerHazardCard(
  db: Db,
  card: { hazardId: number; outboxId: string; recipient: string; audience: CardAudience; kind: CardKind; now: Date },
): Promise<void> {
  await db.insert(hazardCards).values({
    hazardId: card.hazardId,
    outboxId: card.outboxId,
    recipient: card.recipient,
    audience: card.audience,
    kind: card.kind,
    createdAt: card.now,
  });
}

/** The card (hazard_cards row) behind a Feishu message, when it shows a hazard. */
export async function cardByMessageId(db: Db, messageId: string) {
  const [row] = await db
    .select({
      id: hazardCards.id,
      hazardId: hazardCards.hazardId,
      audience: hazardCards.audience,
      kind: hazardCards.kind,
    })
    .from(hazardCards)
    .innerJoin(outbox, eq(outbox.id, hazardCards.outboxId))
    .where(and(eq(outbox.messageId, messageId), eq(hazardCards.active, true)))
    .limit(1);
  return row ? { ...row, audience: row.audience as CardAudience, kind: row.kind as CardKind } : null;
}

/**
 * Brings every active card of the hazard up to date. `skipMessageId`: the card that was clicked, which the callback
 * answer itself replaces.
 */
export async function refreshHazardCards(
  db: Db,
  hazard: { id: number; code: string },
  view: HazardCardView,
  now: Date,
  skipMessageId?: string,
): Promise<void> {
  await flushBufferedOutbox(db); // a card queued earlier in this transaction is one of them
  const cards = await db
    .select({
      id: hazardCards.id,
      outboxId: hazardCards.outboxId,
      recipient: hazardCards.recipient,
      audience: hazardCards.audience,
      kind: hazardCards.kind,
      messageId: outbox.messageId,
      sentAt: outbox.sentAt,
      receiveIdType: outbox.receiveIdType,
    })
    .from(hazardCards)
    .innerJoin(outbox, eq(outbox.id, hazardCards.outboxId))
    .where(and(eq(hazardCards.hazardId, hazard.id), eq(hazardCards.active, true)));
  const updates: CardUpdate[] = [];
  for (const card of cards) {
    if (skipMessageId && card.messageId === skipMessageId) continue;
    const audience = card.audience as CardAudience;
    const kind = card.kind as CardKind;
    const content = renderHazardCard(view, audience, kind);
    if (card.sentAt && now.getTime() - card.sentAt.getTime() > CARD_UPDATE_LIMIT_MS) {
      // Too old to patch: send the current state as a new card and retire the old one.
      const outboxId = await enqueueMessage(db, {
        to: card.receiveIdType === 'chat_id' ? { chatId: card.recipient } : { openId: card.recipient },
        msgType: 'interactive',
        content,
        topic: `hazard:${hazard.code}:${kind}`,
      });
      await db.update(hazardCards).set({ active: false }).where(eq(hazardCards.id, card.id));
      await registerHazardCard(db, { hazardId: hazard.id, outboxId, recipient: card.recipient, audience, kind, now });
      continue;
    }
    updates.push({ outboxId: card.outboxId, card: content });
  }
  await enqueueCardUpdates(db, updates);
}
