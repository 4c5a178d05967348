/**
 * Photos sent to the bot: stored (bytes in the database, so evidence outlives Feishu), re-uploaded for an image key
 * to show on cards, and attached to what the sender is doing — an open report draft, a report just submitted, or a
 * rectification in progress (within 30 minutes); otherwise they start a new draft and the bot offers a report.
 */
import { createHash } from 'node:crypto';
import { and, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import { hazardEvents, hazardPhotos, hazards, reportDrafts } from '../db/schema/index.js';
import { canRectify } from '../domain/index.js';
import { refreshHazardCards } from './cards/delivery.js';
import { type HazardServiceDeps, NOT_IN_DIRECTORY, SESSION_WINDOW_MS } from './report.js';
import { actorOf, findPersonByOpenId, loadHazard } from './repository.js';
import { buildHazardView } from './view.js';

export interface IncomingPhoto {
  /** The user's message carrying it. */
  messageId: string;
  /** The user's image key (to download). */
  imageKey: string;
  data: Buffer;
  contentType: string;
  /** Our own upload for cards. */
  uploadedImageKey: string | null;
}

export type PhotoOutcome =
  | { kind: 'not_in_directory'; message: string }
  | { kind: 'draft'; draftId: number; photoCount: number; isNew: boolean }
  | { kind: 'hazard'; code: string; stage: 'report' | 'rectification'; photoCount: number };

export async function attachPhotos(
  deps: HazardServiceDeps,
  input: { openId: string; photos: IncomingPhoto[] },
): Promise<PhotoOutcome> {
  const { db, clock, calendar } = deps;
  const person = await findPersonByOpenId(db, input.openId);
  if (!person) return { kind: 'not_in_directory', message: NOT_IN_DIRECTORY };
  const actor = actorOf(person);
  return db.transaction(async (tx): Promise<PhotoOutcome> => {
    const now = clock.now();
    const since = new Date(now.getTime() - SESSION_WINDOW_MS);
    const rows = (target: { hazardId?: number; draftId?: number }, stage: 'report' | 'rectification') =>
      input.photos.map((p) => ({
        hazardId: target.hazardId ?? null,
        draftId: target.draftId ?? null,
        stage,
        uploadedById: person.id,
        content: p.data,
        contentType: p.contentType,
        size: p.data.length,
        sha256: createHash('sha256').update(p.data).digest('hex'),
        sourceMessageId: p.messageId,
        sourceImageKey: p.imageKey,
        imageKey: p.uploadedImageKey,
        createdAt: now,
      }));

    // 1. An open report draft.
    const [draft] = await tx
      .select()
      .from(reportDrafts)
      .where(and(eq(reportDrafts.personId, person.id), gte(reportDrafts.updatedAt, since)))
      .orderBy(desc(reportDrafts.updatedAt))
      .limit(1);
    if (draft && draft.status === 'open') {
      await tx
        .insert(hazardPhotos)
        .values(rows({ draftId: draft.id }, 'report'))
        .onConflictDoNothing();
      await tx.update(reportDrafts).set({ updatedAt: now }).where(eq(reportDrafts.id, draft.id));
      const count = await tx.$count(hazardPhotos, eq(hazardPhotos.draftId, draft.id));
      return { kind: 'draft', draftId: draft.id, photoCount: count, isNew: false };
    }

    // 2. A rectification in progress: a hazard this person rectifies, touched by them in the last 30 minutes.
    // Most recently touched first (the latest audit row by this person), so the photo goes with what they just did.
    const recent = await tx
      .select({ hazardId: hazardEvents.hazardId, last: sql<number>`max(${hazardEvents.id})` })
      .from(hazardEvents)
      .where(and(eq(hazardEvents.actorId, person.id), gte(hazardEvents.at, since)))
      .groupBy(hazardEvents.hazardId)
      .orderBy(desc(sql`max(${hazardEvents.id})`))
      .limit(20);
    for (const { hazardId } of recent) {
      const [candidate] = await tx
        .select({ code: hazards.code })
        .from(hazards)
        .where(and(eq(hazards.id, hazardId), inArray(hazards.status, ['rectifying', 'pending_verification'])));
      if (!candidate) continue;
      const record = await loadHazard(tx, candidate.code, { forUpdate: true });
      if (!record || !canRectify(actor, record.hazard).allowed) continue;
      return attachToHazard(record, 'rectification');
    }

    // 3. A report submitted in the last 30 minutes.
    if (draft?.hazardId) {
      const [row] = await tx.select({ code: hazards.code }).from(hazards).where(eq(hazards.id, draft.hazardId));
      const record = row ? await loadHazard(tx, row.code, { forUpdate: true }) : null;
      if (record && record.row.status !== 'closed') return attachToHazard(record, 'report');
    }

    // 4. Nothing open: a new draft, and the chat offers a report.
    const [created] = await tx
      .insert(reportDrafts)
      .values({ personId: person.id, openedAt: now, updatedAt: now })
      .returning({ id: reportDrafts.id });
    await tx
      .insert(hazardPhotos)
      .values(rows({ draftId: created!.id }, 'report'))
      .onConflictDoNothing();
    const count = await tx.$count(hazardPhotos, eq(hazardPhotos.draftId, created!.id));
    return { kind: 'draft', draftId: created!.id, photoCount: count, isNew: true };

    async function attachToHazard(
      record: NonNullable<Awaited<ReturnType<typeof loadHazard>>>,
      stage: 'report' | 'rectification',
    ): Promise<PhotoOutcome> {
      const inserted = await tx
        .insert(hazardPhotos)
        .values(rows({ hazardId: record.row.id }, stage))
        .onConflictDoNothing()
        .returning({ id: hazardPhotos.id });
      if (inserted.length > 0) {
        await tx.insert(hazardEvents).values({
          hazardId: record.row.id,
          type: 'photo_added',
          actorId: person!.id,
          at: now,
          details: { stage, count: inserted.length },
        });
        const view = await buildHazardView(tx, record, now, calendar);
        await refreshHazardCards(tx, { id: record.row.id, code: record.row.code }, view, now);
      }
      const count = await tx.$count(hazardPhotos, eq(hazardPhotos.hazardId, record.row.id));
      return { kind: 'hazard', code: record.row.code, stage, photoCount: count };
    }
  });
}
