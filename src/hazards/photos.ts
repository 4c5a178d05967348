/**
 * Photos sent to the bot: stored (bytes in the database, so evidence outlives Feishu), re-uploaded for an image key
 * to show on cards, and attached to what the sender is doing — an open report draft, a report just submitted, or a
 * rectification in progress (within 30 minutes); otherwise they start a new draft and the bot offers a report.
 */
import { eq } from 'drizzle-orm';
import { hazards } from '../db/schema/index.js';
import { actorOf, findPersonByOpenId } from '../directory/lookup.js';
import { canRectify } from '../domain/index.js';
import { refreshHazardCards } from './cards/delivery.js';
import type { IncomingPhoto } from './drafts.js';
import { createDraft, latestDraft, type PhotoStage, photoCount, storePhotos, touchDraft } from './drafts.js';
import { type HazardServiceDeps, NOT_IN_DIRECTORY, SESSION_WINDOW_MS } from './report.js';
import { insertEvents, loadHazard, rectifyingHazardsTouchedBy } from './repository.js';
import { buildHazardView } from './view.js';

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
    const store = (target: { draftId: number } | { hazardId: number }, stage: PhotoStage) =>
      storePhotos(tx, { target, stage, uploadedById: person.id, photos: input.photos, now });

    // 1. An open report draft.
    const draft = await latestDraft(tx, person.id, since);
    if (draft && draft.status === 'open') {
      await store({ draftId: draft.id }, 'report');
      await touchDraft(tx, draft.id, now);
      return {
        kind: 'draft',
        draftId: draft.id,
        photoCount: await photoCount(tx, { draftId: draft.id }),
        isNew: false,
      };
    }

    // 2. A rectification in progress: a hazard this person rectifies, touched by them in the last 30 minutes.
    // Most recently touched first (the latest audit row by this person), so the photo goes with what they just did.
    for (const code of await rectifyingHazardsTouchedBy(tx, person.id, since)) {
      const record = await loadHazard(tx, code, { forUpdate: true });
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
    const draftId = await createDraft(tx, person.id, now);
    await store({ draftId }, 'report');
    return { kind: 'draft', draftId, photoCount: await photoCount(tx, { draftId }), isNew: true };

    async function attachToHazard(
      record: NonNullable<Awaited<ReturnType<typeof loadHazard>>>,
      stage: PhotoStage,
    ): Promise<PhotoOutcome> {
      const inserted = await store({ hazardId: record.row.id }, stage);
      if (inserted > 0) {
        const uploader = person!;
        await insertEvents(
          tx,
          record.row.id,
          [{ type: 'photo_added', at: now, by: uploader.code, stage, count: inserted }],
          (code) => (code === uploader.code ? uploader.id : null),
        );
        const view = await buildHazardView(tx, record, now, calendar, deps.links);
        await refreshHazardCards(tx, { id: record.row.id, code: record.row.code }, view, now);
      }
      return {
        kind: 'hazard',
        code: record.row.code,
        stage,
        photoCount: await photoCount(tx, { hazardId: record.row.id }),
      };
    }
  });
}
