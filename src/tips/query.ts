/**
 * The tips' read side (GET /api/tips, /api/tips/:code): newest first, within a reader's scope. The tipster's identity
 * (name, phone, address) is in the answer only when `withIdentity` — the county scope for now; every other reader
 * sees 实名 / 匿名.
 */
import { and, asc, desc, eq, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { enterprises, hazards, regions, tipPhotos, tips } from '../db/schema/index.js';
import type { Calendar } from '../domain/index.js';
import { TIP_STATUS_LABELS, type TipStatus, tipsterLabel } from '../domain/tip.js';
import { type ResolvedScope, tipScopeCondition } from '../ledger/scope.js';
import { tipEventsOf } from './repository.js';

/** The SQL condition on `tips` for a scope (ledger/scope.ts: the statistics count tips with it too). */
export { tipScopeCondition };

const columns = {
  id: tips.id,
  code: tips.code,
  status: tips.status,
  what: tips.what,
  place: tips.place,
  regionCode: regions.code,
  regionName: regions.name,
  unitCode: enterprises.code,
  unitName: enterprises.name,
  unitText: tips.unitText,
  tipsterName: tips.tipsterName,
  tipsterPhone: tips.tipsterPhone,
  tipsterIp: tips.tipsterIp,
  declineReason: tips.declineReason,
  declineDetail: tips.declineDetail,
  unfoundedNote: tips.unfoundedNote,
  hazardCode: hazards.code,
  answer: tips.answer,
  answeredAt: tips.answeredAt,
  receivedAt: tips.receivedAt,
  acceptedAt: tips.acceptedAt,
  decidedAt: tips.decidedAt,
  rewardAmount: tips.rewardAmount,
  rewardDecidedOn: tips.rewardDecidedOn,
  rewardPaid: tips.rewardPaid,
  rewardPaidOn: tips.rewardPaidOn,
};

type Row = { [K in keyof typeof columns]: (typeof columns)[K]['_']['data'] | null } & { id: number; code: string };

function select(db: Db) {
  return db
    .select(columns)
    .from(tips)
    .leftJoin(regions, eq(regions.id, tips.regionId))
    .leftJoin(enterprises, eq(enterprises.id, tips.enterpriseId))
    .leftJoin(hazards, eq(hazards.id, tips.hazardId));
}

function tipJson(row: Row, withIdentity: boolean) {
  const tipster = { name: row.tipsterName ?? null, phone: row.tipsterPhone ?? null };
  return {
    code: row.code,
    status: row.status,
    statusLabel: TIP_STATUS_LABELS[row.status as TipStatus] ?? row.status,
    what: row.what,
    where: row.place,
    region: row.regionCode ? { code: row.regionCode, name: row.regionName } : null,
    unit: row.unitCode
      ? { code: row.unitCode, name: row.unitName }
      : row.unitText
        ? { code: null, name: row.unitText }
        : null,
    tipster: withIdentity
      ? { kind: tipsterLabel(tipster), ...tipster, ip: row.tipsterIp ?? null }
      : { kind: tipsterLabel(tipster) },
    decline: row.declineReason ? { reason: row.declineReason, detail: row.declineDetail } : null,
    unfoundedNote: row.unfoundedNote,
    hazardCode: row.hazardCode,
    answer: row.answer,
    answeredAt: row.answeredAt?.toISOString() ?? null,
    receivedAt: row.receivedAt?.toISOString() ?? null,
    acceptedAt: row.acceptedAt?.toISOString() ?? null,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    reward:
      row.rewardAmount != null
        ? {
            amountYuan: Number(row.rewardAmount),
            decidedOn: row.rewardDecidedOn,
            paid: row.rewardPaid === true,
            paidOn: row.rewardPaidOn ?? null,
          }
        : null,
  };
}

export async function listTips(
  db: Db,
  input: { scope: ResolvedScope; withIdentity: boolean; status?: TipStatus; before?: number; limit: number },
) {
  const rows = (await select(db)
    .where(
      and(
        tipScopeCondition(input.scope),
        input.status ? eq(tips.status, input.status) : undefined,
        input.before ? lt(tips.id, input.before) : undefined,
      ),
    )
    .orderBy(desc(tips.id))
    .limit(input.limit + 1)) as Row[];
  const more = rows.length > input.limit;
  const page = rows.slice(0, input.limit);
  return {
    items: page.map((r) => tipJson(r, input.withIdentity)),
    nextCursor: more ? String(page[page.length - 1]!.id) : null,
  };
}

export async function findTip(
  db: Db,
  input: { code: string; scope: ResolvedScope; withIdentity: boolean; calendar: Pick<Calendar, 'toLocal'> },
) {
  const [row] = (await select(db)
    .where(and(eq(tips.code, input.code), tipScopeCondition(input.scope)))
    .limit(1)) as Row[];
  if (!row) return null;
  const trail = await tipEventsOf(db, row.id);
  const photos = await db
    .select({ position: tipPhotos.position, contentType: tipPhotos.contentType, size: tipPhotos.size })
    .from(tipPhotos)
    .where(eq(tipPhotos.tipId, row.id))
    .orderBy(asc(tipPhotos.position));
  return {
    ...tipJson(row, input.withIdentity),
    trail: trail.map((e) => ({ type: e.type, at: e.at.toISOString(), details: e.details })),
    photos: photos.map((p) => ({ ...p, url: `/api/tips/${row.code}/photos/${p.position}` })),
  };
}

/** A tip's photo (its bytes and type) when the tip is within the scope. */
export async function findTipPhoto(db: Db, input: { code: string; position: number; scope: ResolvedScope }) {
  const [photo] = await db
    .select({ content: tipPhotos.content, contentType: tipPhotos.contentType })
    .from(tipPhotos)
    .innerJoin(tips, eq(tips.id, tipPhotos.tipId))
    .where(and(eq(tips.code, input.code), eq(tipPhotos.position, input.position), tipScopeCondition(input.scope)))
    .limit(1);
  return photo ?? null;
}
