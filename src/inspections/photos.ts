/**
 * Photos sent during a visit: they belong to the person's open inspection touched in the last 30 minutes (started,
 * a page stored, a photo added), unless a report draft of theirs was touched more recently — then the report is what
 * they are doing, and the photo goes to it (hazards/photos.ts). Stored through the photos' owner (hazards/drafts.ts)
 * with the inspection set; on submit a lone 立查立改 hazard takes them (submit.ts).
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { enterprises } from '../db/schema/index.js';
import type { DirectoryPerson } from '../directory/lookup.js';
import { type IncomingPhoto, latestDraft, photoCount, storePhotos } from '../hazards/drafts.js';
import { INSPECTION_WINDOW_MS } from './form.js';
import { latestOpenInspectionOf, recordInspectionPhotos } from './repository.js';

export interface InspectionPhotoOutcome {
  inspectionId: number;
  unitName: string;
  /** Photos of the inspection so far. */
  photoCount: number;
}

/** Attaches the photos to the person's open inspection, if that is what they are doing; null when it is not. */
export async function attachPhotosToOpenInspection(
  db: Db,
  input: { person: DirectoryPerson; photos: IncomingPhoto[]; now: Date },
): Promise<InspectionPhotoOutcome | null> {
  const { person, now } = input;
  const since = new Date(now.getTime() - INSPECTION_WINDOW_MS);
  const open = await latestOpenInspectionOf(db, person.id, since);
  if (!open) return null;
  const draft = await latestDraft(db, person.id, since);
  if (draft && draft.status === 'open' && draft.updatedAt.getTime() > open.updatedAt.getTime()) return null;
  const inserted = await storePhotos(db, {
    target: { inspectionId: open.id },
    stage: 'report',
    uploadedById: person.id,
    photos: input.photos,
    now,
  });
  if (inserted > 0)
    await recordInspectionPhotos(db, { inspectionId: open.id, count: inserted, actorId: person.id, now });
  const [unit] = await db
    .select({ name: enterprises.name })
    .from(enterprises)
    .where(eq(enterprises.id, open.enterpriseId));
  return {
    inspectionId: open.id,
    unitName: unit?.name ?? '',
    photoCount: await photoCount(db, { inspectionId: open.id }),
  };
}
