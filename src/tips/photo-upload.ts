/**
 * A tip's photos go to Feishu (for the handlers' cards) after the tip is stored, not while the tipster waits: POST /tip
 * only checks and stores the bytes with the tip (in `tip_photos`, in the same transaction: a tip and its evidence are
 * never apart, and every replica can read them — a disk under DATA_DIR is one replica's). The uploads then run a few
 * at a time in the background and patch the handlers' cards with the images. A failed upload leaves the photo
 * without an image key: the card still counts it, the read API serves the bytes, and `uploadPendingTipPhotos` is
 * tried again on the next tip.
 */
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { tipPhotos } from '../db/schema/index.js';
import type { Calendar } from '../domain/index.js';
import type { FeishuClient } from '../feishu/client.js';
import { refreshTipCards } from './delivery.js';
import { loadTipById, setTipPhotoImageKey } from './repository.js';

export interface TipPhotoUploaderDeps {
  db: Db;
  calendar: Pick<Calendar, 'toLocal'>;
  feishu: Pick<FeishuClient, 'uploadImage'>;
  logger: Pick<Logger, 'warn'>;
  /** Uploads at once (Feishu allows 50 requests/s per app for everything, messages included). */
  concurrency?: number;
}

/** Uploads the photos of `tipId` not yet uploaded, then updates its cards; true when every photo has a key. */
export async function uploadTipPhotos(deps: TipPhotoUploaderDeps, tipId: number): Promise<boolean> {
  const pending = await deps.db
    .select({ id: tipPhotos.id, content: tipPhotos.content })
    .from(tipPhotos)
    .where(and(eq(tipPhotos.tipId, tipId), isNull(tipPhotos.imageKey)))
    .orderBy(asc(tipPhotos.position));
  if (pending.length === 0) return true;
  let uploaded = 0;
  for (const photo of pending) {
    try {
      await setTipPhotoImageKey(deps.db, photo.id, await deps.feishu.uploadImage(photo.content));
      uploaded++;
    } catch (error) {
      deps.logger.warn({ err: error, tipId }, 'tip photo upload for cards failed; its card shows it without image');
    }
  }
  if (uploaded > 0) {
    await deps.db.transaction(async (tx) => {
      const tip = await loadTipById(tx, tipId, { forUpdate: true });
      if (tip) await refreshTipCards(tx, tip, deps.calendar);
    });
  }
  return uploaded === pending.length;
}

/** A small queue in front of `uploadTipPhotos`: at most `concurrency` tips upload at once; `idle()` waits for all. */
export function createTipPhotoUploader(deps: TipPhotoUploaderDeps) {
  const queue: number[] = [];
  let running = 0;
  let waiters: (() => void)[] = [];
  const limit = deps.concurrency ?? 2;
  const pump = () => {
    while (running < limit && queue.length > 0) {
      const tipId = queue.shift()!;
      running++;
      uploadTipPhotos(deps, tipId)
        .catch((error: unknown) => deps.logger.warn({ err: error, tipId }, 'tip photo upload failed'))
        .finally(() => {
          running--;
          pump();
        });
    }
    if (running === 0 && queue.length === 0) {
      const done = waiters;
      waiters = [];
      for (const resolve of done) resolve();
    }
  };
  return {
    enqueue(tipId: number): void {
      queue.push(tipId);
      pump();
    },
    /** Resolves once nothing is queued or uploading (tests, shutdown). */
    idle(): Promise<void> {
      if (running === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
