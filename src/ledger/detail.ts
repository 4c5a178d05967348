/** One hazard's audit trail and photos, for the read API (the hazard itself is found with its scope first). */
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { hazardEvents, hazardPhotos, hazards, people } from '../db/schema/index.js';

export interface TrailEntry {
  type: string;
  at: string;
  actor: { code: string; name: string } | null;
  details: unknown;
}

export async function hazardTrail(db: Db, code: string): Promise<TrailEntry[]> {
  const rows = await db
    .select({
      type: hazardEvents.type,
      at: hazardEvents.at,
      actorCode: people.code,
      actorName: people.name,
      details: hazardEvents.details,
    })
    .from(hazardEvents)
    .innerJoin(hazards, eq(hazards.id, hazardEvents.hazardId))
    .leftJoin(people, eq(people.id, hazardEvents.actorId))
    .where(eq(hazards.code, code))
    .orderBy(asc(hazardEvents.at), asc(hazardEvents.id));
  return rows.map((r) => ({
    type: r.type,
    at: r.at.toISOString(),
    actor: r.actorCode ? { code: r.actorCode, name: r.actorName ?? '' } : null,
    details: r.details,
  }));
}

export interface PhotoInfo {
  id: number;
  stage: string;
  contentType: string;
  size: number;
  createdAt: string;
}

export async function hazardPhotoList(db: Db, code: string): Promise<PhotoInfo[]> {
  const rows = await db
    .select({
      id: hazardPhotos.id,
      stage: hazardPhotos.stage,
      contentType: hazardPhotos.contentType,
      size: hazardPhotos.size,
      createdAt: hazardPhotos.createdAt,
    })
    .from(hazardPhotos)
    .innerJoin(hazards, eq(hazards.id, hazardPhotos.hazardId))
    .where(eq(hazards.code, code))
    .orderBy(asc(hazardPhotos.createdAt), asc(hazardPhotos.id));
  return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
}

export async function hazardPhoto(
  db: Db,
  code: string,
  photoId: number,
): Promise<{ content: Buffer; contentType: string } | null> {
  const [row] = await db
    .select({ content: hazardPhotos.content, contentType: hazardPhotos.contentType })
    .from(hazardPhotos)
    .innerJoin(hazards, eq(hazards.id, hazardPhotos.hazardId))
    .where(and(eq(hazards.code, code), eq(hazardPhotos.id, photoId)));
  return row ?? null;
}
