/**
 * The hazard loop in chat: 上报 (the form, always in one-to-one chat — 四不两直), 查询 <编号>, photos, and the card
 * actions of the report and hazard cards (routed by `value.action`).
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { type Calendar, canView, type HazardAction, parseHazardCode } from '../domain/index.js';
import type { FeishuClient } from '../feishu/client.js';
import type { CardAction, CardActionResponse } from '../feishu/events.js';
import { enqueueMessage, enqueueReply } from '../feishu/outbox.js';
import { performHazardAction } from '../hazards/actions.js';
import { type CardKind, registerHazardCard, renderHazardCard } from '../hazards/cards/delivery.js';
import {
  buildEnterprisePickCard,
  buildNoticeCard,
  buildPhotoOfferCard,
  buildReportFormCard,
} from '../hazards/cards/report-form.js';
import { attachPhotos, type IncomingPhoto } from '../hazards/photos.js';
import {
  audienceFor,
  completeReport,
  type HazardServiceDeps,
  mayOpenReport,
  NOT_IN_DIRECTORY,
  openReportDraft,
  type ReportOutcome,
  submitReportForm,
} from '../hazards/report.js';
import { FIELD_LIMITS, SECTORS } from '../hazards/report-input.js';
import { actorOf, findPersonByOpenId, loadHazard } from '../hazards/repository.js';
import { buildHazardView } from '../hazards/view.js';

export interface HazardChatDeps {
  db: Db;
  logger: Logger;
  clock: Clock;
  calendar: Calendar;
  feishu: Pick<FeishuClient, 'downloadResource' | 'uploadImage'>;
}

/** Where an answer goes: a reply to the message that asked, or a new one-to-one message. */
export type Answer = { replyTo: string } | { openId: string };

async function send(db: Db, to: Answer, content: unknown, msgType: 'interactive' | 'text', topic: string) {
  return 'replyTo' in to
    ? enqueueReply(db, { messageId: to.replyTo, msgType, content, topic })
    : enqueueMessage(db, { to: { openId: to.openId }, msgType, content, topic });
}

const text = (db: Db, to: Answer, body: string, topic: string) => send(db, to, { text: body }, 'text', topic);

const services = (deps: HazardChatDeps): HazardServiceDeps => ({
  db: deps.db,
  clock: deps.clock,
  calendar: deps.calendar,
  logger: deps.logger,
});

/**
 * 上报: the form goes to the reporter privately. From a group (`inGroup`), the form is sent one-to-one and the group
 * only hears that it was sent privately.
 */
export async function startReport(
  deps: HazardChatDeps,
  input: { openId: string; replyTo?: string; inGroup: boolean },
): Promise<void> {
  const { db } = deps;
  const privately: Answer = input.inGroup || !input.replyTo ? { openId: input.openId } : { replyTo: input.replyTo };
  const person = await findPersonByOpenId(db, input.openId);
  if (!person) {
    await send(db, privately, buildNoticeCard('暂不能上报', [NOT_IN_DIRECTORY]), 'interactive', 'report:refused');
    return;
  }
  const may = await mayOpenReport(db, person);
  if (!may.allowed) {
    await send(db, privately, buildNoticeCard('暂不能上报', [may.reason]), 'interactive', 'report:refused');
    return;
  }
  const now = deps.clock.now();
  const draft = await openReportDraft(db, person.id, now);
  await send(db, privately, reportForm(deps, draft.id, {}, undefined, draft.photoCount), 'interactive', 'report:form');
  if (input.inGroup && input.replyTo) {
    await text(db, { replyTo: input.replyTo }, '已通过单聊向您发送上报表单，请在与我的单聊中填写。', 'report:private');
  }
}

function reportForm(
  deps: HazardChatDeps,
  draft: number,
  values: Partial<Record<string, string>>,
  errors: Partial<Record<string, string>> | undefined,
  photoCount: number,
) {
  return buildReportFormCard({
    draft,
    values,
    errors,
    sectors: SECTORS,
    defaultDeadline: deps.calendar.defaultDeadline('general', deps.clock.now()).date,
    photoCount,
    limits: FIELD_LIMITS,
  });
}

/** The hazard `argument` names, if this person may view it; otherwise why not, in words for them. */
async function findViewable(
  db: Db,
  openId: string,
  argument: string,
): Promise<
  | { ok: true; record: NonNullable<Awaited<ReturnType<typeof loadHazard>>>; actor: ReturnType<typeof actorOf> }
  | { ok: false; topic: string; reason: string }
> {
  const parsed = parseHazardCode(argument);
  if (!parsed) return { ok: false, topic: 'show:usage', reason: '请在「查询」后写隐患编号，例如：查询 YH-2026-000123' };
  const person = await findPersonByOpenId(db, openId);
  if (!person) return { ok: false, topic: 'show:refused', reason: NOT_IN_DIRECTORY };
  const record = await loadHazard(db, parsed.code);
  const actor = actorOf(person);
  // A stranger learns nothing, not even whether the number exists.
  if (!record || !canView(actor, record.hazard).allowed) {
    return { ok: false, topic: 'show:none', reason: `没有找到您可以查看的隐患 ${parsed.code}` };
  }
  return { ok: true, record, actor };
}

/** The hazard's living card with the buttons of the reader's part, registered so that every change updates it. */
async function sendLivingCard(
  deps: HazardChatDeps,
  found: Extract<Awaited<ReturnType<typeof findViewable>>, { ok: true }>,
  input: { openId: string; to: Answer },
): Promise<void> {
  const { db, clock, calendar } = deps;
  const { record, actor } = found;
  const now = clock.now();
  const view = await buildHazardView(db, record, now, calendar);
  const audience = audienceFor(actor, record.hazard);
  const content = renderHazardCard(view, audience, 'query');
  const outboxId = await send(db, input.to, content, 'interactive', `hazard:${record.row.code}:query`);
  await registerHazardCard(db, {
    hazardId: record.row.id,
    outboxId,
    recipient: input.openId,
    audience,
    kind: 'query',
    now,
  });
}

/** 查询 <编号>: the living card, or a message saying why not. */
export async function showHazard(deps: HazardChatDeps, input: { openId: string; argument: string; to: Answer }) {
  const found = await findViewable(deps.db, input.openId, input.argument);
  if (!found.ok) await text(deps.db, input.to, found.reason, found.topic);
  else await sendLivingCard(deps, found, input);
}

/**
 * 查看详情 on a reminder card, or a tap on a listed hazard: the living card, sent one-to-one to whoever clicked (in a
 * group, each clicker gets their own, with the buttons of their part — 提交整改 for the responsible person, 发表意见
 * for a leader). A refusal is only a toast.
 */
async function showFromCard(deps: HazardChatDeps, action: CardAction): Promise<CardActionResponse> {
  const openId = action.operatorOpenId;
  const refusal = await deps.db.transaction(async (tx) => {
    const found = await findViewable(tx, openId, str(action.value.code));
    if (!found.ok) return found.reason;
    await sendLivingCard({ ...deps, db: tx }, found, { openId, to: { openId } });
    return null;
  });
  if (refusal) return { toast: { type: 'error', content: refusal } };
  return { toast: { type: 'success', content: '隐患详情已发给您，请在与我的单聊中查看' } };
}

/**
 * The photos of a message (at most 9), fetched from Feishu and uploaded again for the cards. Slow network work:
 * the dispatcher runs it before the transaction that stores them (see storePhotos), never inside one.
 */
export async function downloadPhotos(
  deps: Pick<HazardChatDeps, 'feishu' | 'logger'>,
  input: { messageId: string; imageKeys: string[] },
): Promise<IncomingPhoto[]> {
  const { feishu } = deps;
  const photos: IncomingPhoto[] = [];
  for (const imageKey of input.imageKeys.slice(0, 9)) {
    const downloaded = await feishu.downloadResource({ messageId: input.messageId, fileKey: imageKey, type: 'image' });
    // Our own upload gives a key cards may show; the bytes stay in our database either way.
    const uploaded = await feishu.uploadImage(downloaded.data).catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'photo upload for cards failed; stored without an image key');
      return null;
    });
    photos.push({
      messageId: input.messageId,
      imageKey,
      data: downloaded.data,
      contentType: downloaded.contentType ?? 'image/jpeg',
      uploadedImageKey: uploaded,
    });
  }
  return photos;
}

/** Photos received in one-to-one chat (already downloaded): store, then attach or offer a report. */
export async function storePhotos(
  deps: HazardChatDeps,
  input: { openId: string; messageId: string; photos: IncomingPhoto[] },
): Promise<void> {
  const { db } = deps;
  const { photos } = input;
  if (photos.length === 0) return;
  const outcome = await attachPhotos(services(deps), { openId: input.openId, photos });
  const to: Answer = { replyTo: input.messageId };
  switch (outcome.kind) {
    case 'not_in_directory':
      await text(db, to, outcome.message, 'photo:refused');
      return;
    case 'draft':
      if (outcome.isNew) {
        await send(
          db,
          to,
          buildPhotoOfferCard({ draft: outcome.draftId, photoCount: outcome.photoCount }),
          'interactive',
          'photo:offer',
        );
      } else {
        await text(
          db,
          to,
          `照片已附到正在填写的上报中（共 ${outcome.photoCount} 张），填好表单后点「提交」。`,
          'photo:draft',
        );
      }
      return;
    case 'hazard':
      await text(
        db,
        to,
        `照片已作为${outcome.stage === 'rectification' ? '整改' : '隐患'}照片附到 ${outcome.code}（共 ${outcome.photoCount} 张）。`,
        'photo:hazard',
      );
      return;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Card actions

const str = (value: unknown) => (typeof value === 'string' ? value : '');
const field = (action: CardAction, name: string) => {
  const raw = action.formValue?.[name];
  return Array.isArray(raw) ? raw.join(',') : (raw ?? '');
};

/** Handles `report.*` and `hazard.*` actions; null for anything else. */
export async function handleHazardCardAction(
  deps: HazardChatDeps,
  action: CardAction,
): Promise<CardActionResponse | null> {
  const kind = str(action.value.action);
  if (kind.startsWith('report.')) return handleReportAction(deps, action, kind);
  if (kind === 'hazard.show') return showFromCard(deps, action);
  if (kind.startsWith('hazard.')) return handleHazardAction(deps, action, kind);
  return null;
}

async function handleReportAction(deps: HazardChatDeps, action: CardAction, kind: string): Promise<CardActionResponse> {
  const draftId = Number(action.value.draft);
  const input = { openId: action.operatorOpenId, draftId, messageId: action.messageId };
  if (!Number.isSafeInteger(draftId))
    return { toast: { type: 'error', content: '卡片已失效，请发送「上报」重新开始' } };
  switch (kind) {
    case 'report.open': {
      // The photo offer: check the reporter as 上报 does, then show the form for the draft holding the photos.
      const person = await findPersonByOpenId(deps.db, action.operatorOpenId);
      if (!person) return { toast: { type: 'error', content: NOT_IN_DIRECTORY } };
      const may = await mayOpenReport(deps.db, person);
      if (!may.allowed) return { toast: { type: 'error', content: may.reason } };
      const draft = await openReportDraft(deps.db, person.id, deps.clock.now());
      return { card: { type: 'raw', data: reportForm(deps, draft.id, {}, undefined, draft.photoCount) } };
    }
    case 'report.submit':
      return reportAnswer(deps, await submitReportForm(services(deps), { ...input, formValue: action.formValue }));
    case 'report.pick':
      return reportAnswer(
        deps,
        await completeReport(services(deps), { ...input, enterpriseCode: str(action.value.enterprise) }),
      );
    case 'report.newUnit':
      return reportAnswer(
        deps,
        await completeReport(services(deps), { ...input, townshipCode: field(action, 'township') }),
      );
    default:
      return { toast: { type: 'warning', content: '不支持的操作' } };
  }
}

function reportAnswer(deps: HazardChatDeps, outcome: ReportOutcome): CardActionResponse {
  switch (outcome.kind) {
    case 'not_in_directory':
    case 'forbidden':
      return { toast: { type: 'error', content: outcome.message } };
    case 'invalid':
      return {
        toast: { type: 'error', content: '有内容需要修改，请查看标红的提示' },
        card: { type: 'raw', data: reportForm(deps, outcome.draftId, outcome.values, outcome.errors, 0) },
      };
    case 'pick':
      return {
        toast: { type: 'info', content: outcome.candidates.length ? '请选择被检查单位' : '名录中没有该单位' },
        card: { type: 'raw', data: buildEnterprisePickCard({ ...outcome, draft: outcome.draftId }) },
      };
    case 'already_reported':
      return {
        toast: { type: 'info', content: `已处理：该隐患已登记为 ${outcome.code}` },
        card: { type: 'raw', data: renderHazardCard(outcome.view, outcome.audience, 'report') },
      };
    case 'reported':
      return {
        toast: { type: 'success', content: `已登记 ${outcome.code}，已通知整改责任人和属地、主管部门` },
        card: { type: 'raw', data: renderHazardCard(outcome.view, outcome.audience, 'report') },
      };
  }
}

/** value.action → the domain action, with the texts from the card's forms. */
function toHazardAction(action: CardAction, kind: string): HazardAction | null {
  switch (kind) {
    case 'hazard.acknowledge':
      return { type: 'acknowledge' };
    case 'hazard.submitRectification':
      return { type: 'submitRectification', description: field(action, 'rectification') };
    case 'hazard.requestExtension':
      return {
        type: 'requestExtension',
        newDeadline: field(action, 'new_deadline').slice(0, 10),
        reason: field(action, 'extension_reason'),
      };
    case 'hazard.approveExtension':
      return { type: 'approveExtension' };
    case 'hazard.refuseExtension':
      return { type: 'refuseExtension', reason: field(action, 'decision_reason') };
    case 'hazard.accept':
      return { type: 'accept' };
    case 'hazard.reject':
      return { type: 'reject', reason: field(action, 'reject_reason') };
    case 'hazard.comment':
      return { type: 'comment', text: field(action, 'comment') };
    default:
      return null;
  }
}

async function handleHazardAction(deps: HazardChatDeps, action: CardAction, kind: string): Promise<CardActionResponse> {
  const hazardAction = toHazardAction(action, kind);
  const code = parseHazardCode(str(action.value.code))?.code;
  if (!hazardAction || !code) return { toast: { type: 'warning', content: '卡片已过期或不支持此操作' } };
  const outcome = await performHazardAction(services(deps), {
    openId: action.operatorOpenId,
    code,
    action: hazardAction,
    messageId: action.messageId,
  });
  const cardKind: CardKind = outcome.clickedKind ?? 'query';
  if (outcome.ok) {
    return {
      toast: { type: 'success', content: outcome.message },
      card: { type: 'raw', data: renderHazardCard(outcome.view, outcome.audience, cardKind) },
    };
  }
  if (outcome.code === 'already_done' || outcome.code === 'wrong_state') {
    return {
      toast: {
        type: outcome.code === 'already_done' ? 'info' : 'warning',
        content: outcome.code === 'already_done' ? `已处理：${outcome.message}` : outcome.message,
      },
      ...(outcome.view && outcome.audience
        ? { card: { type: 'raw' as const, data: renderHazardCard(outcome.view, outcome.audience, cardKind) } }
        : {}),
    };
  }
  return { toast: { type: 'error', content: outcome.message } };
}
