import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { outbox } from '../db/schema/index.js';
import type { ReceiveIdType } from './client.js';

export type Recipient = { openId: string } | { chatId: string } | { email: string };

export interface OutgoingMessage {
  to: Recipient;
  msgType: 'text' | 'interactive' | 'image' | 'file' | 'post';
  /** The content object: `{text}` for text, the card JSON for interactive, `{image_key}`, `{file_key}`… */
  content: unknown;
  /** open_ids to buzz (加急) once the message is delivered. */
  urgentOpenIds?: string[];
  /** A business key to find the message later, e.g. `hazard:YH-2026-000001:notice:ou_x`. */
  topic?: string;
}

function recipientColumns(to: Recipient): { receiveIdType: ReceiveIdType; target: string } {
  if ('openId' in to) return { receiveIdType: 'open_id', target: to.openId };
  if ('chatId' in to) return { receiveIdType: 'chat_id', target: to.chatId };
  return { receiveIdType: 'email', target: to.email };
}

/**
 * Queues a message. Call it with the transaction that makes the change the message is about: the message exists if
 * and only if the change does. Returns the row id, which is also Feishu's `uuid` for the send.
 */
export async function enqueueMessage(db: Db, message: OutgoingMessage): Promise<string> {
  const [row] = await db
    .insert(outbox)
    .values({
      kind: 'send',
      ...recipientColumns(message.to),
      msgType: message.msgType,
      content: message.content,
      urgentOpenIds: message.urgentOpenIds?.length ? message.urgentOpenIds : null,
      topic: message.topic ?? null,
    })
    .returning({ id: outbox.id });
  return row!.id;
}

/** Queues many messages in one statement (sweeps, digests). */
export async function enqueueMessages(db: Db, messages: OutgoingMessage[]): Promise<string[]> {
  if (messages.length === 0) return [];
  const rows = await db
    .insert(outbox)
    .values(
      messages.map((m) => ({
        kind: 'send',
        ...recipientColumns(m.to),
        msgType: m.msgType,
        content: m.content,
        urgentOpenIds: m.urgentOpenIds?.length ? m.urgentOpenIds : null,
        topic: m.topic ?? null,
      })),
    )
    .returning({ id: outbox.id });
  return rows.map((r) => r.id);
}

/** Queues a reply in the thread of a received message (e.g. an answer to a command). */
export async function enqueueReply(
  db: Db,
  reply: { messageId: string; msgType: OutgoingMessage['msgType']; content: unknown; topic?: string },
): Promise<string> {
  const [row] = await db
    .insert(outbox)
    .values({
      kind: 'reply',
      target: reply.messageId,
      msgType: reply.msgType,
      content: reply.content,
      topic: reply.topic ?? null,
    })
    .returning({ id: outbox.id });
  return row!.id;
}

/**
 * Replaces the card a previous outbox row sent. If that row has not gone out yet, its content is simply replaced;
 * if it has, a patch is queued and any older queued patch of the same message is dropped (only the newest state
 * matters, and Feishu allows 5 updates per second per message).
 */
export async function enqueueCardUpdate(db: Db, input: CardUpdate): Promise<CardUpdateOutcome> {
  const [outcome] = await enqueueCardUpdates(db, [input]);
  return outcome!;
}

export interface CardUpdate {
  outboxId: string;
  card: unknown;
}
export type CardUpdateOutcome = 'replaced' | 'patch' | 'gone';

/**
 * The same for every card showing one thing (a hazard's cards after each change): a few statements however many
 * cards there are, since this runs inside the transaction a user's click is waiting on.
 */
export async function enqueueCardUpdates(db: Db, updates: CardUpdate[]): Promise<CardUpdateOutcome[]> {
  if (updates.length === 0) return [];
  const originals = await db
    .select({ id: outbox.id, status: outbox.status, messageId: outbox.messageId, topic: outbox.topic })
    .from(outbox)
    .where(
      inArray(
        outbox.id,
        updates.map((u) => u.outboxId),
      ),
    )
    .for('update');
  const byId = new Map(originals.map((o) => [o.id, o]));
  // One patch per message: if a message appears twice, its last state wins.
  const patches = new Map<string, { topic: string | null; card: unknown }>();
  const outcomes = updates.map((update): CardUpdateOutcome => {
    const original = byId.get(update.outboxId);
    if (!original) return 'gone';
    if (original.status === 'pending' && !original.messageId) return 'replaced';
    if (!original.messageId) return 'gone';
    patches.set(original.messageId, { topic: original.topic, card: update.card });
    return 'patch';
  });
  // Not sent yet (rare: the card changed within moments of being queued): send the new content instead.
  for (const [i, update] of updates.entries()) {
    if (outcomes[i] === 'replaced') {
      await db.update(outbox).set({ content: update.card }).where(eq(outbox.id, update.outboxId));
    }
  }
  if (patches.size > 0) {
    await db
      .update(outbox)
      .set({ status: 'superseded' })
      .where(and(eq(outbox.kind, 'patch'), inArray(outbox.target, [...patches.keys()]), eq(outbox.status, 'pending')));
    await db.insert(outbox).values(
      [...patches].map(([messageId, patch]) => ({
        kind: 'patch',
        target: messageId,
        msgType: 'interactive',
        content: patch.card,
        topic: patch.topic,
      })),
    );
  }
  return outcomes;
}
