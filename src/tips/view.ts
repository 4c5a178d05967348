/**
 * A tip as its readers see it: the handlers' card view (with the tipster, for the handlers alone) and the public
 * status the tracking page shows (with no one's name: neither the tipster's nor the handlers').
 */
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { enterprises, hazards, people, regions } from '../db/schema/index.js';
import type { Calendar } from '../domain/index.js';
import { DECLINE_REASON_LABELS, type DeclineReason, TIP_STATUS_LABELS, type TipStatus } from '../domain/tip.js';
import type { TipCardView } from './cards.js';
import { type TipRow, tipPhotoKeysOf } from './repository.js';

type Stamp = Pick<Calendar, 'toLocal'>;
const stamp = (calendar: Stamp, at: Date) => {
  const local = calendar.toLocal(at);
  return `${local.date} ${local.time}`;
};

/** 实名（姓名 电话）or 匿名: the handlers' view of the tipster. */
export function tipsterOnCard(tip: Pick<TipRow, 'tipsterName' | 'tipsterPhone'>): string {
  const parts = [tip.tipsterName, tip.tipsterPhone].filter((p): p is string => Boolean(p));
  return parts.length ? `实名（${parts.join(' ')}）` : '匿名';
}

/** The decision as the handlers' card says it. */
export function decisionText(tip: TipRow, hazardCode: string | null): string | null {
  switch (tip.status as TipStatus) {
    case 'declined': {
      const label = DECLINE_REASON_LABELS[tip.declineReason as DeclineReason] ?? tip.declineReason ?? '';
      const detail =
        tip.declineReason === 'duplicate'
          ? `（重复：${tip.declineDetail}）`
          : tip.declineReason === 'outside_county'
            ? `（已转交：${tip.declineDetail}）`
            : '';
      return `不予受理：${label}${detail}`;
    }
    case 'unfounded':
      return `不属实：${tip.unfoundedNote ?? ''}`;
    case 'confirmed':
      return hazardCode ? `属实，已登记隐患 ${hazardCode}` : '属实';
    default:
      return null;
  }
}

export async function buildTipCardView(db: Db, tip: TipRow, calendar: Stamp): Promise<TipCardView> {
  const [region] = tip.regionId
    ? await db.select({ name: regions.name }).from(regions).where(eq(regions.id, tip.regionId))
    : [];
  const [unit] = tip.enterpriseId
    ? await db.select({ name: enterprises.name }).from(enterprises).where(eq(enterprises.id, tip.enterpriseId))
    : [];
  const hazardCode = await hazardCodeOf(db, tip);
  const ids = [tip.acceptedById, tip.decidedById].filter((id): id is number => id !== null);
  const names = new Map(
    ids.length
      ? (await db.select({ id: people.id, name: people.name }).from(people).where(inArray(people.id, ids))).map((p) => [
          p.id,
          p.name,
        ])
      : [],
  );
  const who = (id: number | null, at: Date | null) =>
    id !== null && at ? `${names.get(id) ?? ''} ${stamp(calendar, at).slice(5)}` : null;
  const photos = await tipPhotoKeysOf(db, tip.id);
  return {
    code: tip.code,
    status: tip.status as TipStatus,
    statusLabel: TIP_STATUS_LABELS[tip.status as TipStatus] ?? tip.status,
    what: tip.what,
    place: tip.place,
    regionName: region?.name ?? null,
    unitName: unit?.name ?? tip.unitText,
    tipster: tipsterOnCard(tip),
    receivedAt: stamp(calendar, tip.receivedAt),
    photos: photos.map((p) => ({ imageKey: p.imageKey })),
    acceptedBy: who(tip.acceptedById, tip.acceptedAt),
    decidedBy: who(tip.decidedById, tip.decidedAt),
    decision: decisionText(tip, hazardCode),
    hazardCode,
    answer: tip.answer,
    reward: rewardText(tip),
    ...(tip.rewardAmount !== null
      ? {
          rewardValues: {
            amount: tip.rewardAmount,
            decided_on: tip.rewardDecidedOn ?? '',
            paid: tip.rewardPaid ? 'yes' : 'no',
            paid_on: tip.rewardPaidOn ?? '',
          },
        }
      : {}),
  };
}

/** 举报奖励 in a line: "500.00 元，2026-12-08 决定，已发放（2026-12-10）"; null before it is recorded. */
export function rewardText(
  tip: Pick<TipRow, 'rewardAmount' | 'rewardDecidedOn' | 'rewardPaid' | 'rewardPaidOn'>,
): string | null {
  if (tip.rewardAmount === null) return null;
  const paid = tip.rewardPaid ? `已发放（${tip.rewardPaidOn ?? ''}）` : '未发放';
  return `${tip.rewardAmount} 元，${tip.rewardDecidedOn ?? ''} 决定，${paid}`;
}

export async function hazardCodeOf(db: Db, tip: Pick<TipRow, 'hazardId'>): Promise<string | null> {
  if (tip.hazardId === null) return null;
  const [row] = await db.select({ code: hazards.code }).from(hazards).where(eq(hazards.id, tip.hazardId));
  return row?.code ?? null;
}

/** What the tracking page tells the tipster: status, answer and when; nobody's name. */
export interface TipPublicStatus {
  code: string;
  status: TipStatus;
  statusLabel: string;
  receivedAt: string;
  answer: string | null;
  answeredAt: string | null;
}

export function publicStatusOf(tip: TipRow, calendar: Stamp): TipPublicStatus {
  return {
    code: tip.code,
    status: tip.status as TipStatus,
    statusLabel: TIP_STATUS_LABELS[tip.status as TipStatus] ?? tip.status,
    receivedAt: stamp(calendar, tip.receivedAt),
    answer: tip.answer,
    answeredAt: tip.answeredAt ? stamp(calendar, tip.answeredAt) : null,
  };
}
