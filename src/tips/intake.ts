/**
 * A tip received (POST /tip): numbered `JB-<year>-<6 digits>`, stored with its photos, a tracking key made (only its
 * SHA-256 is kept), and its card sent to the handlers (routing.ts) — all in one transaction, so a tip is either
 * wholly taken and routed or not stored at all. Nothing here waits on Feishu: the photos are uploaded for the cards
 * afterwards (photo-upload.ts).
 */
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { enterprises, regions } from '../db/schema/index.js';
import type { Calendar } from '../domain/index.js';
import { enqueueMessage } from '../feishu/outbox.js';
import { buildTipCard } from './cards.js';
import { type CheckedTipFields, TipInputError } from './input.js';
import { hashTipKey, insertTip, loadTipById, nextTipNumber, registerTipCard } from './repository.js';
import { tipHandlers } from './routing.js';
import { buildTipCardView } from './view.js';

export interface TipServiceDeps {
  db: Db;
  clock: Clock;
  calendar: Calendar;
}

/** A photo as received: its bytes and the type read from them (uploaded to Feishu later: photo-upload.ts). */
export interface ReceivedPhoto {
  data: Buffer;
  contentType: string;
}

/** Where a tip points: the township by its code, the unit by its code (a unit's QR code) or as typed. */
export async function resolveTipPlace(
  db: Db,
  fields: Pick<CheckedTipFields, 'region' | 'unit'>,
): Promise<{ regionId: number | null; enterpriseId: number | null; unitText: string | null }> {
  let regionId: number | null = null;
  if (fields.region) {
    const [region] = await db.select({ id: regions.id }).from(regions).where(eq(regions.code, fields.region));
    if (!region) throw new TipInputError('unknown_region', 'region', `没有编码为「${fields.region}」的乡镇（region）`);
    regionId = region.id;
  }
  if (!fields.unit) return { regionId, enterpriseId: null, unitText: null };
  const [unit] = await db
    .select({ id: enterprises.id, regionId: enterprises.regionId })
    .from(enterprises)
    .where(and(eq(enterprises.code, fields.unit), eq(enterprises.active, true)));
  // A unit the directory knows (its QR code names it): its township is where the tip goes. Anything else is what the
  // tipster typed, kept as text for the handlers.
  if (unit) return { regionId: unit.regionId, enterpriseId: unit.id, unitText: null };
  return { regionId, enterpriseId: null, unitText: fields.unit };
}

export interface TipReceipt {
  id: number;
  code: string;
  /** The tracking key (only in this answer: the database keeps its hash). */
  key: string;
  /** How many handlers its card went to. */
  handlers: number;
}

export async function receiveTip(
  deps: TipServiceDeps,
  input: { fields: CheckedTipFields; photos: ReceivedPhoto[]; ip: string | null },
): Promise<TipReceipt> {
  const { clock, calendar } = deps;
  const key = randomBytes(32).toString('base64url');
  return deps.db.transaction(async (tx) => {
    const now = clock.now();
    const place = await resolveTipPlace(tx, input.fields);
    const number = await nextTipNumber(tx, Number(calendar.localDate(now).slice(0, 4)));
    const tipId = await insertTip(tx, {
      number,
      keyHash: hashTipKey(key),
      what: input.fields.what,
      place: input.fields.where,
      ...place,
      channel: input.fields.channel,
      tipsterName: input.fields.name,
      tipsterPhone: input.fields.phone,
      tipsterIp: input.ip,
      photos: input.photos.map((p) => ({ ...p, imageKey: null })),
      now,
    });
    const handlers = (await tipHandlers(tx, place)).filter((p) => p.openId);
    const tip = { id: tipId, code: number.code };
    const view = await buildTipCardView(tx, (await loadTipById(tx, tipId))!, calendar);
    for (const handler of handlers) {
      const outboxId = await enqueueMessage(tx, {
        to: { openId: handler.openId! },
        msgType: 'interactive',
        content: buildTipCard(view, { note: '收到群众举报，请受理或说明不予受理的理由' }),
        topic: `tip:${tip.code}:received`,
      });
      await registerTipCard(tx, { tipId, outboxId, recipient: handler.openId!, now });
    }
    return { id: tipId, code: number.code, key, handlers: handlers.length };
  });
}
