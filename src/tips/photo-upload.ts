/**
 * A tip's photos go to Feishu (for the handlers' cards) after the tip is stored, not while the tipster waits: POST /tip
 * only checks and stores the bytes with the tip (in `tip_photos`, in the same transaction: a tip and its evidence are
 * never apart, and every replica can read them — a disk under DATA_DIR is one replica's). The uploads then run a few
 * at a time in the background from the bytes still in memory (reading them back from the database, as hex text, was
 * the largest avoidable cost of taking a tip) and patch the handlers' cards with the images.
 *
 * A failed upload, or one cut off by a restart, leaves the photo without an image key: the card still counts it, the
 * read API serves the bytes, and the uploader tries it again from the database (`tip_photos_pending_idx`) a few
 * minutes later, on whichever replica looks first.
 */
import { and, asc, eq, isNull, lt } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { tipPhotos } from '../db/schema/index.js';
import type { Calendar } from '../domain/index.js';
import type { FeishuClient } from '../feishu/client.js';
import { refreshTipCards } from './delivery.js';
import { loadTipById, setTipPhotoImageKey } from './repository.js';

export interface TipPhotoUploaderDeps {
  db: Db;
  clock: Pick<Clock, 'now'>;
  calendar: Pick<Calendar, 'toLocal'>;
  feishu: Pick<FeishuClient, 'uploadImage'>;
  logger: Pick<Logger, 'warn'>;
  /** Uploads at once (Feishu allows 50 requests/s per app for everything, messages included). */
  concurrency?: number;
  /** How often, and after how long, photos left without a key are tried again (ms). */
  retryEveryMs?: number;
}

/** Photos left without a key this long ago are not in anybody's queue any more: tried again. */
const RETRY_AFTER_MS = 5 * 60_000;
const RETRY_BATCH = 20;
/**
 * At most this many photo bytes wait in memory for their upload (a tip may carry 60 MB, and Feishu may be slow or
 * away): past it a tip is queued by id alone, and its photos are read from the database when their turn comes.
 */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/**
 * Uploads the photos of `tipId` not yet uploaded, then updates its cards; true when every photo has a key.
 * `received` are the photos' bytes by position (1-based: `received[0]` is photo 1) when the caller still holds them;
 * any other is read from the database.
 */
export async function uploadTipPhotos(
  deps: TipPhotoUploaderDeps,
  tipId: number,
  received?: Buffer[],
): Promise<boolean> {
  const pending = await deps.db
    .select({ id: tipPhotos.id, position: tipPhotos.position })
    .from(tipPhotos)
    .where(and(eq(tipPhotos.tipId, tipId), isNull(tipPhotos.imageKey)))
    .orderBy(asc(tipPhotos.position));
  if (pending.length === 0) return true;
  let uploaded = 0;
  for (const photo of pending) {
    try {
      const bytes = received?.[photo.position - 1] ?? (await photoBytes(deps.db, photo.id));
      await setTipPhotoImageKey(deps.db, photo.id, await deps.feishu.uploadImage(bytes));
      uploaded++;
    } catch (error) {
      deps.logger.warn({ err: error, tipId }, 'tip photo upload for cards failed; tried again later');
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

async function photoBytes(db: Db, photoId: number): Promise<Buffer> {
  const [row] = await db.select({ content: tipPhotos.content }).from(tipPhotos).where(eq(tipPhotos.id, photoId));
  if (!row) throw new Error(`tip photo ${photoId} is gone`);
  return row.content;
}

/** The tips with a photo left without a key for a while (a failed upload, or a restart before it ran). */
export async function tipsWithStalePhotos(db: Db, before: Date, limit = RETRY_BATCH): Promise<number[]> {
  const rows = await db
    .selectDistinct({ tipId: tipPhotos.tipId })
    .from(tipPhotos)
    .where(and(isNull(tipPhotos.imageKey), lt(tipPhotos.createdAt, before)))
    .orderBy(asc(tipPhotos.tipId))
    .limit(limit);
  return rows.map((r) => r.tipId);
}

/**
 * A small queue in front of `uploadTipPhotos`: at most `concurrency` tips upload at once; `idle()` waits for all.
 * `start()` begins the periodic retry of photos left behind; `stop()` ends it.
 */
export function createTipPhotoUploader(deps: TipPhotoUploaderDeps) {
  const queue: { tipId: number; received?: Buffer[] }[] = [];
  const queued = new Set<number>();
  let running = 0;
  let queuedBytes = 0;
  let waiters: (() => void)[] = [];
  let timer: NodeJS.Timeout | null = null;
  const limit = deps.concurrency ?? 2;
  const pump = () => {
    while (running < limit && queue.length > 0) {
      const { tipId, received } = queue.shift()!;
      running++;
      uploadTipPhotos(deps, tipId, received)
        .catch((error: unknown) => deps.logger.warn({ err: error, tipId }, 'tip photo upload failed'))
        .finally(() => {
          running--;
          queuedBytes -= sizeOf(received);
          queued.delete(tipId);
          pump();
        });
    }
    if (running === 0 && queue.length === 0) {
      const done = waiters;
      waiters = [];
      for (const resolve of done) resolve();
    }
  };
  const enqueue = (tipId: number, received?: Buffer[]) => {
    if (queued.has(tipId)) return;
    queued.add(tipId);
    const kept = received && queuedBytes + sizeOf(received) <= MAX_QUEUED_BYTES ? received : undefined;
    queuedBytes += sizeOf(kept);
    queue.push(kept ? { tipId, received: kept } : { tipId });
    pump();
  };
  const retryStale = async () => {
    try {
      const before = new Date(deps.clock.now().getTime() - RETRY_AFTER_MS);
      for (const tipId of await tipsWithStalePhotos(deps.db, before)) enqueue(tipId);
    } catch (error) {
      deps.logger.warn({ err: error }, 'could not look for tip photos left without upload');
    }
  };
  return {
    /** Uploads the tip's photos; `received` (by position) spares reading them back from the database. */
    enqueue,
    /** Queues the tips whose photos were left without a key for a while; resolves once they are queued. */
    retryStale,
    start(): void {
      if (timer) return;
      timer = setInterval(() => void retryStale(), deps.retryEveryMs ?? RETRY_AFTER_MS);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = null;
    },
    /** Resolves once nothing is queued or uploading (tests, shutdown). */
    idle(): Promise<void> {
      if (running === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

const sizeOf = (buffers: Buffer[] | undefined) => (buffers ?? []).reduce((sum, b) => sum + b.length, 0);
