/** Where the bot's answer to someone in chat goes, and the one way to queue it. */
import type { Db } from '../db/client.js';
import { enqueueMessage, enqueueReply, type OutgoingMessage } from '../feishu/outbox.js';

/**
 * A reply to the message that asked (in its chat: one-to-one or the group), or a new one-to-one message to the
 * person (a menu click, a card click, or what must not be said in a group — 四不两直).
 */
export type ChatTarget = { replyTo: string } | { openId: string };

export type ChatAnswer = Pick<OutgoingMessage, 'msgType' | 'content' | 'topic'>;

/** Queues `answer` to `target` in the outbox (in the caller's transaction); returns the outbox row's id. */
export function enqueueAnswer(db: Db, target: ChatTarget, answer: ChatAnswer): Promise<string> {
  return 'replyTo' in target
    ? enqueueReply(db, { messageId: target.replyTo, ...answer })
    : enqueueMessage(db, { to: { openId: target.openId }, ...answer });
}

/** A text answer. */
export const textAnswer = (text: string, topic: string): ChatAnswer => ({ msgType: 'text', content: { text }, topic });

/** A card answer (JSON 2.0). */
export const cardAnswer = (card: object, topic: string): ChatAnswer => ({
  msgType: 'interactive',
  content: card,
  topic,
});
