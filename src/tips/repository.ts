/**
 * The tips' repository: the one writer of `tips`, `tip_events`, `tip_photos`, `tip_cards` and `tip_counters`.
 * Every function takes `db` or a transaction first. It imports nothing of the features, so the hazards' report (which
 * confirms a tip when it registers the hazard) can call it without a cycle.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { tipCards, tipCounters, tipEvents, tipPhotos, tips } from '../db/schema/index.js';
import { formatTipCode, type TipChannel, type TipReward, type TipStatus } from '../domain/tip.js';

export type TipRow = typeof tips.$inferSelect;
export type TipPhotoRow = typeof tipPhotos.$inferSelect;

/** SHA-256 of a tracking key, hex: all that is stored of it. */
export const hashTipKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

/** Takes the next tip number of `year` (no gaps, no duplicates: the counter row stays locked to the commit). */
export async function nextTipNumber(db: Db, year: number): Promise<{ year: number; sequence: number; code: string }> {
  const [row] = await db
    .insert(tipCounters)
    .values({ year, lastSequence: 1 })
    .onConflictDoUpdate({ target: tipCounters.year, set: { lastSequence: sql`${tipCounters.lastSequence} + 1` } })
    .returning({ sequence: tipCounters.lastSequence });
  const sequence = row!.sequence;
  return { year, sequence, code: formatTipCode(year, sequence) };
}

export interface NewTip {
  number: { code: string; year: number; sequence: number };
  keyHash: string;
  what: string;
  place: string;
  regionId: number | null;
  enterpriseId: number | null;
  unitText: string | null;
  channel: TipChannel;
  tipsterName: string | null;
  tipsterPhone: string | null;
  tipsterIp: string | null;
  photos: { data: Buffer; contentType: string; imageKey: string | null }[];
  now: Date;
}

/** Stores a received tip, its photos and the first event; returns its id. */
export async function insertTip(db: Db, tip: NewTip): Promise<number> {
  const [row] = await db
    .insert(tips)
    .values({
      code: tip.number.code,
      year: tip.number.year,
      sequence: tip.number.sequence,
      keyHash: tip.keyHash,
      status: 'received',
      what: tip.what,
      place: tip.place,
      regionId: tip.regionId,
      enterpriseId: tip.enterpriseId,
      unitText: tip.unitText,
      channel: tip.channel,
      tipsterName: tip.tipsterName,
      tipsterPhone: tip.tipsterPhone,
      tipsterIp: tip.tipsterIp,
      receivedAt: tip.now,
      updatedAt: tip.now,
    })
    .returning({ id: tips.id });
  const tipId = row!.id;
  if (tip.photos.length > 0) {
    await db.insert(tipPhotos).values(
      tip.photos.map((p, i) => ({
        tipId,
        position: i + 1,
        content: p.data,
        contentType: p.contentType,
        size: p.data.length,
        sha256: createHash('sha256').update(p.data).digest('hex'),
        imageKey: p.imageKey,
        createdAt: tip.now,
      })),
    );
  }
  // The event names what arrived, never who sent it: the trail is shown to more people than the tipster's name is.
  await insertTipEvent(db, tipId, 'received', null, tip.now, {
    photos: tip.photos.length,
    named: Boolean(tip.tipsterName || tip.tipsterPhone),
  });
  return tipId;
}

export async function insertTipEvent(
  db: Db,
  tipId: number,
  type: string,
  actorId: number | null,
  at: Date,
  details: Record<string, unknown> = {},
): Promise<void> {
  await db.insert(tipEvents).values({ tipId, type, actorId, at, details });
}

/** The tip by code (`FOR UPDATE` when asked); null when there is none. */
export async function loadTip(db: Db, code: string, options: { forUpdate?: boolean } = {}): Promise<TipRow | null> {
  const query = db.select().from(tips).where(eq(tips.code, code)).limit(1);
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

export async function loadTipById(db: Db, id: number, options: { forUpdate?: boolean } = {}): Promise<TipRow | null> {
  const query = db.select().from(tips).where(eq(tips.id, id)).limit(1);
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

/** The tip registered as hazard `hazardId`, if one was. */
export async function tipOfHazard(db: Db, hazardId: number, options: { forUpdate?: boolean } = {}) {
  const query = db.select().from(tips).where(eq(tips.hazardId, hazardId)).limit(1);
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

// A well-formed hash to compare against when the code is unknown, so a miss takes as long as a wrong key.
const NO_HASH = hashTipKey('no such tip');

/**
 * The tip whose code and tracking key both match, or null — an unknown code and a wrong key look the same, and the
 * key is compared in constant time.
 */
export async function findTipByKey(db: Db, code: string, key: string): Promise<TipRow | null> {
  const tip = await loadTip(db, code);
  const given = Buffer.from(hashTipKey(key), 'hex');
  const stored = Buffer.from(tip?.keyHash ?? NO_HASH, 'hex');
  const same = given.length === stored.length && timingSafeEqual(given, stored);
  return tip && same ? tip : null;
}

export async function tipPhotosOf(db: Db, tipId: number): Promise<TipPhotoRow[]> {
  return db.select().from(tipPhotos).where(eq(tipPhotos.tipId, tipId)).orderBy(asc(tipPhotos.position));
}

export async function tipEventsOf(db: Db, tipId: number) {
  return db.select().from(tipEvents).where(eq(tipEvents.tipId, tipId)).orderBy(asc(tipEvents.id));
}

/** What a step changes on the tip row, beside its status. */
export interface TipChange {
  status: TipStatus;
  actorId: number | null;
  at: Date;
  /** The trail event's type and fields. */
  event: { type: string; details?: Record<string, unknown> };
  /** A new answer to the tipster, if the step gives one. */
  answer?: string | null;
  accepted?: boolean;
  decided?: boolean;
  declineReason?: string;
  declineDetail?: string | null;
  unfoundedNote?: string;
  hazardId?: number;
}

/** Stores a step of the tip (its row and its trail; the answer in the trail too). Returns the row as stored. */
export async function saveTipChange(db: Db, tip: TipRow, change: TipChange): Promise<TipRow> {
  const answered = change.answer ? { answer: change.answer, answeredAt: change.at } : {};
  const [row] = await db
    .update(tips)
    .set({
      status: change.status,
      updatedAt: change.at,
      ...answered,
      ...(change.answer && !tip.firstAnsweredAt ? { firstAnsweredAt: change.at } : {}),
      ...(change.accepted ? { acceptedById: change.actorId, acceptedAt: change.at } : {}),
      ...(change.decided ? { decidedById: change.actorId, decidedAt: change.at } : {}),
      ...(change.declineReason !== undefined
        ? { declineReason: change.declineReason, declineDetail: change.declineDetail ?? null }
        : {}),
      ...(change.unfoundedNote !== undefined ? { unfoundedNote: change.unfoundedNote } : {}),
      ...(change.hazardId !== undefined ? { hazardId: change.hazardId } : {}),
    })
    .where(eq(tips.id, tip.id))
    .returning();
  await insertTipEvent(db, tip.id, change.event.type, change.actorId, change.at, change.event.details ?? {});
  if (change.answer) await insertTipEvent(db, tip.id, 'answered', change.actorId, change.at, { answer: change.answer });
  return row!;
}

export async function registerTipCard(
  db: Db,
  card: { tipId: number; outboxId: string; recipient: string; now: Date },
): Promise<void> {
  await db.insert(tipCards).values({ ...card, createdAt: card.now });
}

/** The handlers' cards of a tip still shown (their outbox rows). */
export async function activeTipCards(db: Db, tipId: number) {
  return db
    .select({ id: tipCards.id, outboxId: tipCards.outboxId, recipient: tipCards.recipient })
    .from(tipCards)
    .where(and(eq(tipCards.tipId, tipId), eq(tipCards.active, true)));
}

/** Records our Feishu upload of a stored photo (for the handlers' cards). */
export async function setTipPhotoImageKey(db: Db, photoId: number, imageKey: string): Promise<void> {
  await db.update(tipPhotos).set({ imageKey }).where(eq(tipPhotos.id, photoId));
}

/** The photos' image keys only (the cards need no bytes: a tip's photos may be 60 MB). */
export async function tipPhotoKeysOf(db: Db, tipId: number): Promise<{ imageKey: string | null }[]> {
  return db
    .select({ imageKey: tipPhotos.imageKey })
    .from(tipPhotos)
    .where(eq(tipPhotos.tipId, tipId))
    .orderBy(asc(tipPhotos.position));
}

/** Records (or corrects) the tip's reward, and the step in its trail. */
export async function saveTipReward(
  db: Db,
  tip: TipRow,
  reward: TipReward,
  actorId: number,
  at: Date,
): Promise<TipRow> {
  const [row] = await db
    .update(tips)
    .set({
      rewardAmount: reward.amount,
      rewardDecidedOn: reward.decidedOn,
      rewardPaid: reward.paid,
      rewardPaidOn: reward.paidOn,
      rewardRecordedById: actorId,
      rewardRecordedAt: at,
      updatedAt: at,
    })
    .where(eq(tips.id, tip.id))
    .returning();
  await insertTipEvent(db, tip.id, 'reward', actorId, at, { ...reward });
  return row!;
}
