/**
 * The handlers' buttons on a tip's card: 受理, 不予受理 (its form, then the reason), 属实 (the report form, prefilled
 * from the tip with its photos, goes to the clicker; registering the hazard confirms the tip — confirm.ts), 不属实
 * (its form, then the note). Each checks the clicker (domain/tip.ts canHandleTip): anyone else changes nothing and is
 * told who may.
 */
import { eq } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { enterprises } from '../db/schema/index.js';
import { actorOf, type DirectoryPerson, findPersonByOpenId } from '../directory/lookup.js';
import type { Calendar } from '../domain/index.js';
import {
  canHandleTip,
  canRecordTipReward,
  DECLINE_REASONS,
  type Decline,
  type DeclineReason,
  parseTipReward,
  type TipAction,
  type TipStatus,
  transitionTip,
} from '../domain/tip.js';
import { outboxIdOfMessage } from '../feishu/outbox.js';
import { createDraft, saveDraftForm, storePhotos } from '../hazards/drafts.js';
import { FIELD_LIMITS } from '../hazards/report-input.js';
import { buildTipCard, type TipCardOptions, type TipFormField } from './cards.js';
import type { TipOrigin } from './confirm.js';
import { refreshTipCards } from './delivery.js';
import {
  insertTipEvent,
  loadTip,
  saveTipChange,
  saveTipReward,
  type TipChange,
  type TipRow,
  tipPhotosOf,
} from './repository.js';
import { placeOfTip } from './routing.js';
import { buildTipCardView } from './view.js';

export interface TipHandlingDeps {
  db: Db;
  clock: Clock;
  calendar: Calendar;
}

/** The report form the 属实 click opens: its draft, the values prefilled from the tip, and how many photos it holds. */
export interface TipReportDraft {
  draftId: number;
  values: { enterprise?: string; description: string; location: string };
  photoCount: number;
  tipCode: string;
}

export type TipClick =
  | { type: 'accept' }
  | { type: 'startDecline' }
  | { type: 'decline'; form: Partial<Record<TipFormField, string>> }
  | { type: 'startUnfounded' }
  | { type: 'unfounded'; form: Partial<Record<TipFormField, string>> }
  | { type: 'confirm' }
  | { type: 'startReward' }
  | { type: 'reward'; form: Partial<Record<TipFormField, string>> };

export type TipClickOutcome =
  | { kind: 'refused'; message: string; card?: object }
  | { kind: 'done'; message: string; card: object };

const NOT_IN_DIRECTORY = '您不在本系统的组织名录中，不能处理群众举报';

/**
 * One click on a tip's card. `sendReportForm` (属实) sends the prefilled report form to the clicker inside the same
 * transaction: the chat layer renders it, since the form's pick lists are the chat's.
 */
export async function clickTip(
  deps: TipHandlingDeps,
  input: {
    openId: string;
    code: string;
    messageId?: string;
    click: TipClick;
    sendReportForm?: (tx: Db, draft: TipReportDraft, to: DirectoryPerson) => Promise<void>;
  },
): Promise<TipClickOutcome> {
  const { calendar } = deps;
  const person = await findPersonByOpenId(deps.db, input.openId);
  if (!person) return { kind: 'refused', message: NOT_IN_DIRECTORY };
  return deps.db.transaction(async (tx): Promise<TipClickOutcome> => {
    const now = deps.clock.now();
    const tip = await loadTip(tx, input.code, { forUpdate: true });
    if (!tip) return { kind: 'refused', message: `没有找到举报 ${input.code}` };
    const place = await placeOfTip(tx, tip);
    const card = async (row: TipRow, options: TipCardOptions = {}) =>
      buildTipCard(await buildTipCardView(tx, row, calendar), options);
    // 举报奖励: the county safety office's own step, on a tip proved true.
    const click = input.click;
    if (click.type === 'startReward' || click.type === 'reward') {
      const mayReward = canRecordTipReward(actorOf(person), place, tip.status as TipStatus);
      if (!mayReward.allowed) return { kind: 'refused', message: mayReward.reason };
      if (click.type === 'startReward')
        return {
          kind: 'done',
          message: '请填写奖励金额、决定日期和发放情况',
          card: await card(tip, { form: 'reward' }),
        };
      const form = click.form;
      const parsed = parseTipReward(form, calendar.localDate(now));
      if (!parsed.ok) {
        const error = { field: parsed.field, message: parsed.message };
        return {
          kind: 'refused',
          message: parsed.message,
          card: await card(tip, { form: 'reward', echo: { values: form, error } }),
        };
      }
      const saved = await saveTipReward(tx, tip, parsed.reward, person.id, now);
      const clicked = input.messageId ? await outboxIdOfMessage(tx, input.messageId) : null;
      await refreshTipCards(tx, saved, calendar, clicked);
      return { kind: 'done', message: '已记录举报奖励', card: await card(saved) };
    }
    const may = canHandleTip(actorOf(person), place);
    if (!may.allowed) return { kind: 'refused', message: may.reason };
    const state = { status: tip.status as TipStatus, hazardCode: null };

    // The two forms: shown on the clicked card while the tip is still in the state they belong to.
    if (click.type === 'startDecline' || click.type === 'startUnfounded') {
      const wanted: TipStatus = click.type === 'startDecline' ? 'received' : 'accepted';
      if (tip.status !== wanted) return { kind: 'refused', message: stateMessage(tip), card: await card(tip) };
      const form = click.type === 'startDecline' ? 'decline' : 'unfounded';
      return {
        kind: 'done',
        message: form === 'decline' ? '请选择不予受理的理由' : '请填写核查情况',
        card: await card(tip, { form }),
      };
    }

    if (click.type === 'confirm') {
      const next = transitionTip(state, { type: 'confirm', hazardCode: '' });
      if (!next.ok) return { kind: 'refused', message: next.message, card: await card(tip) };
      const draft = await openTipReport(tx, tip, person, now);
      await input.sendReportForm?.(tx, draft, person);
      await insertTipEvent(tx, tip.id, 'report_opened', person.id, now, { draft: draft.draftId });
      return {
        kind: 'done',
        message: '已向您发送上报表单（已填入举报内容和照片），提交登记后本举报即记为属实',
        card: await card(tip, { note: `${person.name} 已核查属实，正在登记隐患` }),
      };
    }

    const action = tipAction(click);
    if ('error' in action) {
      const form = click.type === 'decline' ? 'decline' : 'unfounded';
      const values = 'form' in click ? click.form : {};
      return {
        kind: 'refused',
        message: action.error.message,
        card: await card(tip, { form, echo: { values, error: action.error } }),
      };
    }
    const next = transitionTip(state, action);
    if (!next.ok) {
      if (next.code === 'invalid_input' && 'form' in click) {
        const form = click.type === 'decline' ? 'decline' : 'unfounded';
        const error = { field: next.field ?? '', message: next.message };
        return {
          kind: 'refused',
          message: next.message,
          card: await card(tip, { form, echo: { values: click.form, error } }),
        };
      }
      return { kind: 'refused', message: next.message, card: await card(tip) };
    }
    const change: TipChange = {
      status: next.status,
      actorId: person.id,
      at: now,
      event: { type: next.status },
      answer: next.answer,
    };
    if (action.type === 'accept') change.accepted = true;
    if (action.type === 'decline') {
      const d = action.decline;
      change.decided = true;
      change.declineReason = d.reason;
      change.declineDetail =
        d.reason === 'duplicate' ? d.of.trim() : d.reason === 'outside_county' ? d.forwardedTo.trim() : null;
      change.event.details = { reason: d.reason, ...(change.declineDetail ? { detail: change.declineDetail } : {}) };
    }
    if (action.type === 'unfounded') {
      change.decided = true;
      change.unfoundedNote = action.note.trim();
    }
    const saved = await saveTipChange(tx, tip, change);
    const clicked = input.messageId ? await outboxIdOfMessage(tx, input.messageId) : null;
    await refreshTipCards(tx, saved, calendar, clicked);
    return { kind: 'done', message: DONE[next.status], card: await card(saved) };
  });
}

const DONE: Record<TipStatus, string> = {
  received: '',
  accepted: '已受理，请到现场核查后点「属实」或「不属实」',
  declined: '已不予受理，并已答复举报人',
  confirmed: '已记为属实',
  unfounded: '已记为不属实，并已答复举报人',
};

function stateMessage(tip: TipRow): string {
  return tip.status === 'received' ? '请先受理该举报' : '该举报已处理，不能再操作';
}

/** The domain action a click asks for, from its form; the problem with the form when it does not say enough. */
function tipAction(
  click: Exclude<TipClick, { type: 'startDecline' | 'startUnfounded' | 'confirm' | 'startReward' | 'reward' }>,
): Exclude<TipAction, { type: 'confirm' | 'hazardClosed' }> | { error: { field: string; message: string } } {
  if (click.type === 'accept') return { type: 'accept' };
  if (click.type === 'unfounded') return { type: 'unfounded', note: click.form.note ?? '' };
  const reason = (click.form.decline_reason ?? '').trim();
  if (!(DECLINE_REASONS as readonly string[]).includes(reason)) {
    return { error: { field: 'decline_reason', message: '请选择不予受理的理由' } };
  }
  const decline: Decline =
    (reason as DeclineReason) === 'duplicate'
      ? { reason: 'duplicate', of: (click.form.duplicate_of ?? '').slice(0, 40) }
      : reason === 'outside_county'
        ? { reason: 'outside_county', forwardedTo: click.form.forwarded_to ?? '' }
        : { reason: 'not_work_safety' };
  return { type: 'decline', decline };
}

/** A report draft for the clicker, prefilled from the tip, its photos copied to it as a photo-first report's are. */
async function openTipReport(tx: Db, tip: TipRow, person: DirectoryPerson, now: Date): Promise<TipReportDraft> {
  const draftId = await createDraft(tx, person.id, now);
  const [unit] = tip.enterpriseId
    ? await tx.select({ name: enterprises.name }).from(enterprises).where(eq(enterprises.id, tip.enterpriseId))
    : [];
  const enterprise = unit?.name ?? tip.unitText ?? undefined;
  // The form's inputs hold at most 1000 characters (a longer default would make Feishu refuse the card); the tip
  // keeps the whole text, on the handlers' card and in the trail.
  const clipTo = (text: string, field: 'enterprise' | 'description' | 'location') =>
    [...text].slice(0, Math.min(1000, FIELD_LIMITS[field])).join('');
  const values = {
    ...(enterprise ? { enterprise: clipTo(enterprise, 'enterprise') } : {}),
    description: clipTo(tip.what, 'description'),
    location: clipTo(tip.place, 'location'),
  };
  await saveDraftForm(tx, draftId, { tip: { tipId: tip.id, code: tip.code } satisfies TipOrigin }, now);
  const photos = await tipPhotosOf(tx, tip.id);
  const photoCount =
    photos.length === 0
      ? 0
      : await storePhotos(tx, {
          target: { draftId },
          stage: 'report',
          uploadedById: person.id,
          photos: photos.map((p) => ({
            messageId: `tip:${tip.code}:draft:${draftId}`,
            imageKey: `photo-${p.position}`,
            data: p.content,
            contentType: p.contentType,
            uploadedImageKey: p.imageKey,
          })),
          now,
        });
  return { draftId, values, photoCount, tipCode: tip.code };
}
