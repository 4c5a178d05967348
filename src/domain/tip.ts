/**
 * 群众举报 (public tips): the tip's states, what moves it from one to the next, who may move it, and what the tipster
 * is told (product.md "群众举报 — tips from the public"). Pure: the repository stores what these functions decide.
 *
 *   received ─受理→ accepted ─属实 (a hazard registered from it)→ confirmed ─(the hazard closed)→ confirmed, answered again
 *      │                  └──不属实 (with a note)→ unfounded
 *      └─不予受理 (not_work_safety | duplicate of a tip or hazard | outside_county, forwarded to whom)→ declined
 *
 * The tipster is answered when the tip is declined, found unfounded, turned into a hazard, and when that hazard closes.
 */
import { type Actor, hasRoleOver, type UnitContext } from './permissions.js';

export const TIP_STATUSES = ['received', 'accepted', 'declined', 'confirmed', 'unfounded'] as const;
export type TipStatus = (typeof TIP_STATUSES)[number];
export const TIP_STATUS_LABELS: Readonly<Record<TipStatus, string>> = {
  received: '已收到，待受理',
  accepted: '已受理，正在核查',
  declined: '不予受理',
  confirmed: '经核查属实',
  unfounded: '经核查不属实',
};

export const DECLINE_REASONS = ['not_work_safety', 'duplicate', 'outside_county'] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];
export const DECLINE_REASON_LABELS: Readonly<Record<DeclineReason, string>> = {
  not_work_safety: '不属于安全生产事项',
  duplicate: '重复举报',
  outside_county: '不属于本县管辖',
};

/** Why a tip is not taken, with what each reason needs: the duplicate's code, or to whom it was forwarded. */
export type Decline =
  | { reason: 'not_work_safety' }
  | { reason: 'duplicate'; of: string }
  | { reason: 'outside_county'; forwardedTo: string };

/**
 * How the tip came in (统计 counts tips by source): the form opened from a unit's QR code at its gate, from a township's
 * poster, or the page opened by its address. The form carries it as a hidden `via`; anything else counts as the page.
 */
export const TIP_CHANNELS = ['unit_qr', 'township_qr', 'page'] as const;
export type TipChannel = (typeof TIP_CHANNELS)[number];
export const TIP_CHANNEL_LABELS: Readonly<Record<TipChannel, string>> = {
  unit_qr: '单位二维码',
  township_qr: '乡镇海报二维码',
  page: '举报网页',
};

/** The channel a form's `via` names, the page for anything unknown or missing. */
export function tipChannelOf(via: string | null | undefined): TipChannel {
  return (TIP_CHANNELS as readonly string[]).includes(via ?? '') ? (via as TipChannel) : 'page';
}

export const TIP_CODE_PREFIX = 'JB';
/** The canonical form: `JB-2026-000123` (the sequence grows a digit past 999999, as hazard numbers do). */
export const TIP_CODE_PATTERN = /^JB-(\d{4})-(\d{6}|[1-9]\d{6,})$/;

/** `formatTipCode(2026, 7)` → `JB-2026-000007`. */
export function formatTipCode(year: number, sequence: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`tip year must be 4 digits: ${year}`);
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new RangeError(`tip sequence must be ≥ 1: ${sequence}`);
  return `${TIP_CODE_PREFIX}-${year}-${String(sequence).padStart(6, '0')}`;
}

/** The code as typed (lower case, full-width, spaces) in canonical form, or null when it is not one. */
export function parseTipCode(input: string): string | null {
  const text = input.normalize('NFKC').toUpperCase().replace(/\s+/g, '');
  return TIP_CODE_PATTERN.test(text) ? text : null;
}

/** The tip as the rules see it. */
export interface TipState {
  status: TipStatus;
  /** The hazard registered from it (属实), by code. */
  hazardCode: string | null;
}

export type TipAction =
  | { type: 'accept' }
  | { type: 'decline'; decline: Decline }
  | { type: 'confirm'; hazardCode: string }
  | { type: 'unfounded'; note: string }
  | { type: 'hazardClosed' };

export type TipTransition =
  | { ok: true; status: TipStatus; answer: string | null }
  | { ok: false; code: 'invalid_state' | 'invalid_input'; field?: string; message: string };

export const TIP_NOTE_MAX = 500;
export const TIP_FORWARDED_TO_MAX = 100;

const refuse = (message: string, field?: string): TipTransition => ({
  ok: false,
  code: field ? 'invalid_input' : 'invalid_state',
  ...(field ? { field } : {}),
  message,
});

/** What a tip becomes after `action`, and the answer the tipster gets (null: no new answer). */
export function transitionTip(tip: TipState, action: TipAction): TipTransition {
  const done = `该举报${TIP_STATUS_LABELS[tip.status]}，不能再操作`;
  switch (action.type) {
    case 'accept':
      if (tip.status !== 'received') return refuse(done);
      return { ok: true, status: 'accepted', answer: null };
    case 'decline': {
      if (tip.status !== 'received') return refuse(done);
      const d = action.decline;
      if (d.reason === 'duplicate' && !d.of.trim())
        return refuse('重复举报请填写重复的举报编号或隐患编号', 'duplicate_of');
      if (d.reason === 'outside_county' && !d.forwardedTo.trim())
        return refuse('不属于本县管辖请填写已转交的单位', 'forwarded_to');
      if (d.reason === 'outside_county' && d.forwardedTo.length > TIP_FORWARDED_TO_MAX)
        return refuse(`转交单位不能超过 ${TIP_FORWARDED_TO_MAX} 个字`, 'forwarded_to');
      return { ok: true, status: 'declined', answer: declineAnswer(d) };
    }
    case 'confirm':
      if (tip.status !== 'accepted') return refuse(tip.status === 'received' ? '请先受理该举报' : done);
      return {
        ok: true,
        status: 'confirmed',
        answer: `经核查，您反映的问题属实，已登记为安全隐患（${action.hazardCode}）并责令整改。感谢您的举报！`,
      };
    case 'unfounded': {
      if (tip.status !== 'accepted') return refuse(tip.status === 'received' ? '请先受理该举报' : done);
      const note = action.note.trim();
      if (!note) return refuse('请填写核查情况说明', 'note');
      if (note.length > TIP_NOTE_MAX) return refuse(`核查情况说明不能超过 ${TIP_NOTE_MAX} 个字`, 'note');
      return { ok: true, status: 'unfounded', answer: `经现场核查，您反映的问题不属实。核查情况：${note}` };
    }
    case 'hazardClosed':
      if (tip.status !== 'confirmed' || !tip.hazardCode) return refuse('该举报没有登记隐患');
      return {
        ok: true,
        status: 'confirmed',
        answer: `您反映的隐患（${tip.hazardCode}）已整改完毕，经验收合格销号。感谢您对安全生产工作的支持！`,
      };
  }
}

function declineAnswer(d: Decline): string {
  switch (d.reason) {
    case 'not_work_safety':
      return '经审查，您反映的问题不属于安全生产事项，不予受理。如涉及其他事项，请向相关部门反映。';
    case 'duplicate':
      return `您反映的问题已有人举报或已在处理中（${d.of.trim()}），不再重复受理，处理结果将一并反馈。`;
    case 'outside_county':
      return `您反映的问题不属于本县管辖，已转交${d.forwardedTo.trim()}处理。`;
  }
}

/** Where a tip is about: the township (region path), and the unit and its supervising department when known. */
export interface TipPlace {
  regionPath: readonly string[];
  enterpriseCode: string | null;
  departmentCode: string | null;
}

/**
 * Who handles a tip (受理 / 不予受理 / 属实 / 不属实): the county safety office (安委办) for every tip; an inspector of
 * the township (or the county), or of the unit's supervising department when the unit is known. Never an inspector
 * scoped to the unit itself: a tip may be about the unit's own people.
 */
export function canHandleTip(actor: Actor, place: TipPlace): { allowed: true } | { allowed: false; reason: string } {
  if (actor.kind !== 'person') return { allowed: false, reason: '系统不能处理举报' };
  const unit: UnitContext = { ...place, principal: null, safetyOfficer: null };
  if (hasRoleOver(actor, 'county_safety_office', unit, ['county', 'region'])) return { allowed: true };
  // Routing sends the card to the department's inspectors first, the township's when the department has none: both
  // may act, so that a card that fell back is not refused.
  if (hasRoleOver(actor, 'inspector', unit, ['county', 'region', 'department'])) return { allowed: true };
  return {
    allowed: false,
    reason: place.departmentCode
      ? '只有举报所在乡镇、该单位行业主管部门的检查员或县安委办可以处理此举报'
      : '只有举报所在乡镇的检查员或县安委办可以处理此举报',
  };
}

/** 实名 / 匿名: all the ledger and anything outside the handlers may say of the tipster. */
export function tipsterLabel(tipster: { name: string | null; phone: string | null }): '实名' | '匿名' {
  return tipster.name || tipster.phone ? '实名' : '匿名';
}

/** 举报奖励 as recorded: the amount in yuan (as text, 2 decimals), when it was decided, whether and when it was paid. */
export interface TipReward {
  amount: string;
  decidedOn: string;
  paid: boolean;
  paidOn: string | null;
}

export const TIP_REWARD_MAX_YUAN = 1_000_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const realDate = (text: string) => {
  const m = ISO_DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
};

/**
 * The reward form (amount, decision date, paid yes/no, paid date) checked; the first problem names its field.
 * `today` is the local date: neither date may be later.
 */
export function parseTipReward(
  form: { amount?: string; decided_on?: string; paid?: string; paid_on?: string },
  today: string,
): { ok: true; reward: TipReward } | { ok: false; field: string; message: string } {
  const amountText = (form.amount ?? '').normalize('NFKC').replace(/[,，\s元]/g, '');
  if (!/^\d+(\.\d{1,2})?$/.test(amountText))
    return { ok: false, field: 'amount', message: '奖励金额应为数字（元），最多两位小数，如 500 或 1200.50' };
  const amount = Number(amountText);
  if (amount <= 0) return { ok: false, field: 'amount', message: '奖励金额应大于 0 元' };
  if (amount > TIP_REWARD_MAX_YUAN) return { ok: false, field: 'amount', message: '奖励金额不能超过 100 万元' };
  const decidedOn = (form.decided_on ?? '').trim();
  if (!realDate(decidedOn)) return { ok: false, field: 'decided_on', message: '请填写奖励决定日期，如 2026-12-07' };
  if (decidedOn > today) return { ok: false, field: 'decided_on', message: '奖励决定日期不能晚于今天' };
  const paidText = (form.paid ?? '').trim();
  if (paidText !== 'yes' && paidText !== 'no') return { ok: false, field: 'paid', message: '请选择是否已发放' };
  const paid = paidText === 'yes';
  const paidOnText = (form.paid_on ?? '').trim();
  if (!paid) {
    if (paidOnText) return { ok: false, field: 'paid_on', message: '尚未发放时不填发放日期' };
    return { ok: true, reward: { amount: amount.toFixed(2), decidedOn, paid, paidOn: null } };
  }
  if (!realDate(paidOnText)) return { ok: false, field: 'paid_on', message: '已发放请填写发放日期，如 2026-12-07' };
  if (paidOnText < decidedOn) return { ok: false, field: 'paid_on', message: '发放日期不能早于决定日期' };
  if (paidOnText > today) return { ok: false, field: 'paid_on', message: '发放日期不能晚于今天' };
  return { ok: true, reward: { amount: amount.toFixed(2), decidedOn, paid, paidOn: paidOnText } };
}

/** Only the county safety office (安委办) records a reward, and only for a tip proved true. */
export function canRecordTipReward(
  actor: Actor,
  place: TipPlace,
  status: TipStatus,
): { allowed: true } | { allowed: false; reason: string } {
  if (actor.kind !== 'person') return { allowed: false, reason: '系统不能记录举报奖励' };
  const unit: UnitContext = { ...place, principal: null, safetyOfficer: null };
  if (!hasRoleOver(actor, 'county_safety_office', unit, ['county', 'region']))
    return { allowed: false, reason: '只有县安委办可以记录举报奖励' };
  if (status !== 'confirmed') return { allowed: false, reason: '只有经核查属实的举报才能记录奖励' };
  return { allowed: true };
}
