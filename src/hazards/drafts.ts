/**
 * Report drafts and photos: the one writer of `report_drafts` and `hazard_photos`. A draft is a report being prepared
 * in chat; photos sent before its form is submitted hang on it and move to the hazard when it is registered. Photos
 * sent during an inspection hang on the inspection and move to a hazard it registers (立查立改). A draft opened for a
 * failed checklist item carries its origin (the inspection and item), so the hazard it becomes is linked to them.
 */
import { createHash } from 'node:crypto';
import { and, desc, eq, gte, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { hazardPhotos, reportDrafts } from '../db/schema/index.js';

export type ReportDraft = typeof reportDrafts.$inferSelect;

/** A photo as received: the bytes, and the keys that name it in Feishu. */
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

export type PhotoStage = 'report' | 'rectification';

/** Where a photo belongs: a report draft, a hazard, or an open inspection. */
export type PhotoTarget = { draftId: number } | { hazardId: number } | { inspectionId: number };

/** A report draft opened for a failed checklist item: the hazard it becomes belongs to that inspection and item. */
export interface ReportOrigin {
  inspectionId: number;
  itemCode: string;
  /** How the hazard was found: `inspection`, or `self_inspection` for 企业自查. */
  source: 'inspection' | 'self_inspection';
  /** The inspected unit: the report is about it, whatever else is typed. */
  enterpriseCode: string;
  enterpriseName: string;
}

/** The origin a draft was opened with (a failed checklist item), if any. */
export function originOf(draft: Pick<ReportDraft, 'form'>): ReportOrigin | null {
  const origin = (draft.form as { origin?: ReportOrigin } | null)?.origin;
  return origin && typeof origin.inspectionId === 'number' ? origin : null;
}

/** The tip (群众举报) a draft was opened for by 属实 on its card, if any: the hazard it becomes confirms the tip. */
export function tipOriginOf(draft: Pick<ReportDraft, 'form'>): { tipId: number; code: string } | null {
  const tip = (draft.form as { tip?: { tipId?: unknown; code?: unknown } } | null)?.tip;
  return tip && typeof tip.tipId === 'number' && typeof tip.code === 'string'
    ? { tipId: tip.tipId, code: tip.code }
    : null;
}

/** The person's open draft touched since `since` (kept open: its time moves to `now`), with its photo count. */
export async function reopenDraft(db: Db, personId: number, since: Date, now: Date) {
  // A draft opened for a failed checklist item has its own card: 上报 starts a report of its own beside it.
  const [open] = await db
    .select({ id: reportDrafts.id })
    .from(reportDrafts)
    .where(
      and(
        eq(reportDrafts.personId, personId),
        eq(reportDrafts.status, 'open'),
        gte(reportDrafts.updatedAt, since),
        sql`(${reportDrafts.form} -> 'origin') is null and (${reportDrafts.form} -> 'tip') is null`,
      ),
    )
    .orderBy(desc(reportDrafts.updatedAt))
    .limit(1);
  if (!open) return null;
  await touchDraft(db, open.id, now);
  return { id: open.id, photoCount: await photoCount(db, { draftId: open.id }) };
}

/** The person's most recently touched draft since `since`, open or submitted. */
export async function latestDraft(db: Db, personId: number, since: Date): Promise<ReportDraft | null> {
  const [draft] = await db
    .select()
    .from(reportDrafts)
    .where(and(eq(reportDrafts.personId, personId), gte(reportDrafts.updatedAt, since)))
    .orderBy(desc(reportDrafts.updatedAt))
    .limit(1);
  return draft ?? null;
}

/** A new open draft; `origin` when it is opened for a failed checklist item. */
export async function createDraft(db: Db, personId: number, now: Date, origin?: ReportOrigin): Promise<number> {
  const [row] = await db
    .insert(reportDrafts)
    .values({ personId, openedAt: now, updatedAt: now, ...(origin ? { form: { origin } } : {}) })
    .returning({ id: reportDrafts.id });
  return row!.id;
}

export async function touchDraft(db: Db, draftId: number, now: Date): Promise<void> {
  await db.update(reportDrafts).set({ updatedAt: now }).where(eq(reportDrafts.id, draftId));
}

/** The draft, locked for this transaction, if it is `personId`'s; null otherwise. */
export async function lockOwnDraft(db: Db, draftId: number, personId: number): Promise<ReportDraft | null> {
  if (!Number.isSafeInteger(draftId)) return null;
  const [draft] = await db.select().from(reportDrafts).where(eq(reportDrafts.id, draftId)).for('update');
  return draft && draft.personId === personId ? draft : null;
}

/** Keeps the checked form values while the reporter picks the unit (beside the draft's origin, if it has one). */
export async function saveDraftForm(db: Db, draftId: number, form: object, now: Date): Promise<void> {
  await db
    .update(reportDrafts)
    .set({ form: sql`coalesce(${reportDrafts.form}, '{}'::jsonb) || ${JSON.stringify(form)}::jsonb`, updatedAt: now })
    .where(eq(reportDrafts.id, draftId));
}

/** The draft became hazard `hazardId`: its photos move to the hazard, and it is closed. */
export async function submitDraft(db: Db, draftId: number, hazardId: number, now: Date): Promise<void> {
  await db.update(hazardPhotos).set({ hazardId }).where(eq(hazardPhotos.draftId, draftId));
  await db
    .update(reportDrafts)
    .set({ status: 'submitted', hazardId, updatedAt: now })
    .where(eq(reportDrafts.id, draftId));
}

/**
 * Stores photos on a draft, a hazard or an open inspection (a photo already stored from the same message is skipped);
 * answers how many were new.
 */
export async function storePhotos(
  db: Db,
  input: {
    target: PhotoTarget;
    stage: PhotoStage;
    uploadedById: number;
    photos: IncomingPhoto[];
    now: Date;
  },
): Promise<number> {
  const { target } = input;
  const inserted = await db
    .insert(hazardPhotos)
    .values(
      input.photos.map((p) => ({
        hazardId: 'hazardId' in target ? target.hazardId : null,
        draftId: 'draftId' in target ? target.draftId : null,
        inspectionId: 'inspectionId' in target ? target.inspectionId : null,
        stage: input.stage,
        uploadedById: input.uploadedById,
        content: p.data,
        contentType: p.contentType,
        size: p.data.length,
        sha256: createHash('sha256').update(p.data).digest('hex'),
        sourceMessageId: p.messageId,
        sourceImageKey: p.imageKey,
        imageKey: p.uploadedImageKey,
        createdAt: input.now,
      })),
    )
    .onConflictDoNothing()
    .returning({ id: hazardPhotos.id });
  return inserted.length;
}

/** The photos of a draft, a hazard, or an inspection (those sent during it, wherever they went since). */
export async function photoCount(db: Db, of: PhotoTarget): Promise<number> {
  return db.$count(
    hazardPhotos,
    'draftId' in of
      ? eq(hazardPhotos.draftId, of.draftId)
      : 'hazardId' in of
        ? eq(hazardPhotos.hazardId, of.hazardId)
        : eq(hazardPhotos.inspectionId, of.inspectionId),
  );
}

/** The inspection's photos not yet with a hazard go to `hazardId` (立查立改); they keep their inspection. */
export async function moveInspectionPhotosToHazard(db: Db, inspectionId: number, hazardId: number): Promise<number> {
  const moved = await db
    .update(hazardPhotos)
    .set({ hazardId })
    .where(and(eq(hazardPhotos.inspectionId, inspectionId), isNull(hazardPhotos.hazardId)))
    .returning({ id: hazardPhotos.id });
  return moved.length;
}
