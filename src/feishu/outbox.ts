/**
 * The outbox: the one writer of `outbox`. Every outgoing message is a row first, written in the transaction of the
 * change that caused it (enqueue*), then claimed, sent, retried or given up by the sender (the delivery part below).
 *
 * Kept whole because it is the table's one writer: enqueueing and the delivery states (claim, sent, retry, dead
 * letter) change the same columns, and their rules are checked against each other here.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { outbox, type UrgentExtra } from '../db/schema/index.js';
import type { ReceiveIdType } from './client.js';

export type { UrgentExtra };

export type Recipient = { openId: string } | { chatId: string } | { email: string };

export interface OutgoingMessage {
  to: Recipient;
  msgType: 'text' | 'interactive' | 'image' | 'file' | 'post';
  /** The content object: `{text}` for text, the card JSON for interactive, `{image_key}`, `{file_key}`… */
  content: unknown;
  /** open_ids to buzz (加急) once the message is delivered. */
  urgentOpenIds?: string[];
  /** With urgentOpenIds: SMS or phone 加急 too (policy channels urgent_sms / urgent_phone), budget permitting. */
  urgentExtra?: UrgentExtra;
  /** A business key to find the message later, e.g. `hazard:YH-2026-000001:notice:ou_x`. */
  topic?: string;
}

/**
 * A file sent as a file message whose bytes are kept elsewhere (a hazard's PDF): the row's content is
 * `{attachment: "<source>:<id>"}`, and the sender loads the file, uploads it (im/v1/files) and sends
 * `{file_key}` — at send time, so that a failed upload is retried like any failed send, under the row's uuid.
 */
export interface FileAttachment {
  file: Buffer;
  fileName: string;
  fileType: 'pdf' | 'xls' | 'doc' | 'stream';
}

/** Loads the file an attachment names (null when it names nothing: the message is given up). */
export type AttachmentLoader = (attachment: string) => Promise<FileAttachment | null>;

/** A file message of a stored attachment (see FileAttachment). */
export function fileMessage(to: Recipient, attachment: string, topic?: string): OutgoingMessage {
  return { to, msgType: 'file', content: { attachment }, ...(topic ? { topic } : {}) };
}

/** The attachment a file row's content names, if it is one (rather than an uploaded `{file_key}`). */
export function attachmentOfContent(content: unknown): string | null {
  const value = (content as { attachment?: unknown } | null)?.attachment;
  return typeof value === 'string' ? value : null;
}

function recipientColumns(to: Recipient): { receiveIdType: ReceiveIdType; target: string } {
  if ('openId' in to) return { receiveIdType: 'open_id', target: to.openId };
  if ('chatId' in to) return { receiveIdType: 'chat_id', target: to.chatId };
  return { receiveIdType: 'email', target: to.email };
}

/** A new outbox row, its id chosen here: the id is also Feishu's `uuid` for the send, and callers may record it. */
export interface NewOutboxRow {
  id: string;
  kind: 'send' | 'reply' | 'sms';
  receiveIdType: ReceiveIdType | 'mobile' | null;
  target: string;
  msgType: OutgoingMessage['msgType'] | 'sms';
  content: unknown;
  urgentOpenIds: string[] | null;
  /** SMS or phone 加急 on top of in-app (absent: none). */
  urgentExtra?: UrgentExtra | null;
  topic: string | null;
}

export function sendRow(message: OutgoingMessage, id: string = randomUUID()): NewOutboxRow {
  const { receiveIdType, target } = recipientColumns(message.to);
  return {
    id,
    kind: 'send',
    receiveIdType,
    target,
    msgType: message.msgType,
    content: message.content,
    urgentOpenIds: message.urgentOpenIds?.length ? message.urgentOpenIds : null,
    urgentExtra: message.urgentOpenIds?.length ? (message.urgentExtra ?? null) : null,
    topic: message.topic ?? null,
  };
}

function replyRow(reply: ReplyMessage): NewOutboxRow {
  return {
    id: randomUUID(),
    kind: 'reply',
    receiveIdType: null,
    target: reply.messageId,
    msgType: reply.msgType,
    content: reply.content,
    urgentOpenIds: null,
    topic: reply.topic ?? null,
  };
}

/**
 * The INSERT of these rows: one statement text and one JSON parameter whatever their number, so that it is
 * prepared and planned once (a query builder's multi-row VALUES is a new statement for every row count). With
 * `onlyIf`, the rows are inserted only where that condition holds (the sweep's "only if every step was new").
 */
export function insertOutboxRows(rows: NewOutboxRow[], onlyIf: SQL = sql`true`): SQL {
  const json = rows.map((r) => ({
    i: r.id,
    k: r.kind,
    t: r.receiveIdType,
    r: r.target,
    m: r.msgType,
    c: r.content,
    u: r.urgentOpenIds,
    x: r.urgentExtra ?? null,
    p: r.topic,
  }));
  return sql`
    insert into outbox (id, kind, receive_id_type, target, msg_type, content, urgent_open_ids, urgent_extra, topic)
    select x.i, x.k, x.t, x.r, x.m, x.c, x.u, x.x, x.p
    from jsonb_to_recordset(${JSON.stringify(json)}::jsonb)
      as x(i uuid, k text, t text, r text, m text, c jsonb, u text[], x jsonb, p text)
    where ${onlyIf}`;
}

/**
 * Messages queued in a transaction that handles many events at once (the dispatcher's batches), keyed by the
 * transaction the handlers write through: they go in with one INSERT when the batch is done rather than one
 * each, which was most of the database work of answering a message. A transaction without a buffer inserts at
 * once. Code that reads outbox rows it may have queued in the same transaction calls flushBufferedOutbox first.
 */
const buffers = new WeakMap<Db, NewOutboxRow[]>();

/**
 * Runs `work` with the messages it queues through `tx` held back, then inserts them all with one statement, still
 * inside `tx`: they commit, or roll back, with the rest of the work.
 */
export async function withBufferedOutbox<T>(tx: Db, work: () => Promise<T>): Promise<T> {
  buffers.set(tx, []);
  try {
    const result = await work();
    await flushBufferedOutbox(tx);
    return result;
  } finally {
    buffers.delete(tx);
  }
}

/** Inserts what `withBufferedOutbox` holds for `db` now (before reading the outbox in the same transaction). */
export async function flushBufferedOutbox(db: Db): Promise<void> {
  const rows = buffers.get(db);
  if (!rows || rows.length === 0) return;
  buffers.set(db, []);
  await db.execute(insertOutboxRows(rows));
}

async function queue(db: Db, rows: NewOutboxRow[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const buffer = buffers.get(db);
  if (buffer) buffer.push(...rows);
  else await db.execute(insertOutboxRows(rows));
  return rows.map((r) => r.id);
}

/**
 * Queues a message. Call it with the transaction that makes the change the message is about: the message exists if
 * and only if the change does. Returns the row id, which is also Feishu's `uuid` for the send.
 */
export async function enqueueMessage(db: Db, message: OutgoingMessage): Promise<string> {
  const [id] = await queue(db, [sendRow(message)]);
  return id!;
}

/** Queues many messages in one statement (sweeps, digests). */
export async function enqueueMessages(db: Db, messages: OutgoingMessage[]): Promise<string[]> {
  return queue(
    db,
    messages.map((m) => sendRow(m)),
  );
}

/**
 * Queues an SMS (src/sms/enqueue.ts validates and calls this): kind `sms` to a `mobile`, its content the template's
 * values. Sent by the outbox sender through the SMS gateway, within the daily budget.
 */
export async function enqueueSmsRow(db: Db, sms: { phone: string; params: unknown; topic?: string }): Promise<string> {
  const [id] = await queue(db, [smsRow(sms)]);
  return id!;
}

/** The outbox row of an SMS (the sweep writes these set-based, beside its cards): a validated 11-digit mobile. */
export function smsRow(
  sms: { phone: string; params: unknown; topic?: string },
  id: string = randomUUID(),
): NewOutboxRow {
  return {
    id,
    kind: 'sms',
    receiveIdType: 'mobile',
    target: sms.phone,
    msgType: 'sms',
    content: sms.params,
    urgentOpenIds: null,
    topic: sms.topic ?? null,
  };
}

export interface ReplyMessage {
  messageId: string;
  msgType: OutgoingMessage['msgType'];
  content: unknown;
  topic?: string;
}

/** Queues a reply in the thread of a received message (e.g. an answer to a command). */
export async function enqueueReply(db: Db, reply: ReplyMessage): Promise<string> {
  const [id] = await queue(db, [replyRow(reply)]);
  return id!;
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
  await flushBufferedOutbox(db); // the cards to update may have been queued in this very transaction
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

/** The outbox row that became Feishu message `messageId` (a card the bot sent), if any. */
export async function outboxIdOfMessage(db: Db, messageId: string): Promise<string | null> {
  const [row] = await db.select({ id: outbox.id }).from(outbox).where(eq(outbox.messageId, messageId)).limit(1);
  return row?.id ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery: the sender's side of a row (claimed under a lease, sent, retried or given up)

export type OutboxRow = typeof outbox.$inferSelect;

/** Clears every pending row's lease: the sender that held them is gone (a new leader takes over at once). */
export async function releaseLeases(db: Db): Promise<number> {
  const released = await db
    .update(outbox)
    .set({ leaseUntil: null })
    .where(and(eq(outbox.status, 'pending'), sql`${outbox.leaseUntil} is not null`))
    .returning({ id: outbox.id });
  return released.length;
}

/** Claims up to `limit` due rows for `leaseSeconds` (rows another sender holds are skipped), oldest due first. */
export async function claimDueRows(db: Db, limit: number, leaseSeconds: number): Promise<OutboxRow[]> {
  const due = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(
      and(
        eq(outbox.status, 'pending'),
        lte(outbox.nextAttemptAt, sql`now()`),
        or(isNull(outbox.leaseUntil), lte(outbox.leaseUntil, sql`now()`)),
      ),
    )
    .orderBy(asc(outbox.nextAttemptAt), asc(outbox.createdAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  const claimed = await db
    .update(outbox)
    .set({ leaseUntil: sql`now() + make_interval(secs => ${leaseSeconds})` })
    .where(inArray(outbox.id, due))
    .returning();
  return claimed.sort(
    (a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime(),
  );
}

/** Claimed rows put back to wait `waitMs` (a rate limit), without counting an attempt. */
export async function deferRows(db: Db, ids: string[], waitMs: number): Promise<void> {
  await db
    .update(outbox)
    .set({ leaseUntil: null, nextAttemptAt: sql`now() + make_interval(secs => ${waitMs / 1000})` })
    .where(inArray(outbox.id, ids));
}

/** Remembers the message a row became before buzzing it, so that a failed buzz is retried without sending again. */
export async function rememberMessageId(db: Db, id: string, messageId: string): Promise<void> {
  await db.update(outbox).set({ messageId }).where(eq(outbox.id, id));
}

/**
 * The row went out as message `messageId`. A card whose content enqueueCardUpdates replaced while this sender held
 * the row (claimed, not yet sent) went out with the content it was claimed with: the new content follows as a patch,
 * or the change would be lost (a tip's photos uploaded while its card was being sent).
 */
export async function markSent(db: Db, row: OutboxRow, messageId: string | null): Promise<void> {
  await db.transaction(async (tx) => {
    const [now] = await tx
      .update(outbox)
      .set({
        status: 'sent',
        ...(messageId ? { messageId } : {}),
        sentAt: sql`now()`,
        leaseUntil: null,
        lastError: null,
        smsUnconfirmedSince: null,
        urgentDoneAt: row.urgentOpenIds?.length ? sql`now()` : null,
      })
      .where(eq(outbox.id, row.id))
      .returning({ content: outbox.content, topic: outbox.topic });
    const replacedWhileSending =
      messageId &&
      row.kind !== 'patch' &&
      row.msgType === 'interactive' &&
      now &&
      JSON.stringify(now.content) !== JSON.stringify(row.content);
    if (replacedWhileSending) {
      await tx
        .insert(outbox)
        .values({ kind: 'patch', target: messageId, msgType: 'interactive', content: now.content, topic: now.topic });
    }
  });
}

export async function markGivenUp(db: Db, id: string, attempts: number, error: string): Promise<void> {
  await db
    .update(outbox)
    .set({ status: 'failed', attempts, lastError: error, leaseUntil: null })
    .where(eq(outbox.id, id));
}

export async function scheduleRetry(db: Db, id: string, attempts: number, error: string, delayMs: number) {
  await db
    .update(outbox)
    .set({
      attempts,
      lastError: error,
      leaseUntil: null,
      nextAttemptAt: sql`now() + make_interval(secs => ${delayMs / 1000})`,
    })
    .where(eq(outbox.id, id));
}

export async function countPending(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(eq(outbox.status, 'pending'));
  return row?.n ?? 0;
}

// ---------------------------------------------------------------------------------------------------------------
// SMS rows: the daily budget and attempts whose outcome is unknown (src/sms/delivery.ts)

/** Records the local day whose SMS budget this row was charged to (in the transaction that charged it). */
export async function markSmsBudgetCharged(db: Db, id: string, day: string): Promise<void> {
  await db.update(outbox).set({ smsBudgetDay: day }).where(eq(outbox.id, id));
}

/** The day's SMS budget was spent: the row is not sent, and says why. */
export async function markOverBudget(db: Db, id: string, reason: string): Promise<void> {
  await db.update(outbox).set({ status: 'over_budget', lastError: reason, leaseUntil: null }).where(eq(outbox.id, id));
}

/**
 * An SMS attempt to retry after `delayMs`. `unconfirmedSince` is set when the attempt's outcome is unknown (the
 * next attempt asks the receipts first) and cleared when the attempt surely did not send.
 */
export async function scheduleSmsRetry(
  db: Db,
  id: string,
  retry: { attempts: number; error: string; delayMs: number; unconfirmedSince: Date | null },
): Promise<void> {
  await db
    .update(outbox)
    .set({
      attempts: retry.attempts,
      lastError: retry.error,
      leaseUntil: null,
      smsUnconfirmedSince: retry.unconfirmedSince,
      nextAttemptAt: sql`now() + make_interval(secs => ${retry.delayMs / 1000})`,
    })
    .where(eq(outbox.id, id));
}
