/**
 * The hazard loop in chat: 上报 (the form, always in one-to-one chat — 四不两直), 查询 <编号>, photos. The report and
 * hazard cards' buttons are handled in hazard-actions.ts.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { actorOf, findPersonByOpenId } from '../directory/lookup.js';
import { type Calendar, canView, type EscalationPolicy, parseHazardCode } from '../domain/index.js';
import type { FeishuClient } from '../feishu/client.js';
import { basisOptions, loadBasisCatalog } from '../hazards/basis-clauses.js';
import { registerHazardCard } from '../hazards/cards/delivery.js';
import { renderHazardCard } from '../hazards/cards/living-card.js';
import { buildNoticeCard, buildPhotoOfferCard, buildReportFormCard } from '../hazards/cards/report-form.js';
import type { IncomingPhoto } from '../hazards/drafts.js';
import { attachPhotos } from '../hazards/photos.js';
import {
  audienceFor,
  type HazardServiceDeps,
  mayOpenReport,
  NOT_IN_DIRECTORY,
  openReportDraft,
} from '../hazards/report.js';
import { FIELD_LIMITS, SECTORS } from '../hazards/report-input.js';
import { loadHazard } from '../hazards/repository.js';
import { buildHazardView } from '../hazards/view.js';
import { attachPhotosToOpenInspection } from '../inspections/photos.js';
import { type ChatTarget, cardAnswer, enqueueAnswer, textAnswer } from './answer.js';

export interface HazardChatDeps {
  db: Db;
  logger: Logger;
  clock: Clock;
  calendar: Calendar;
  links: HazardServiceDeps['links'];
  policy: EscalationPolicy;
  feishu: Pick<FeishuClient, 'downloadResource' | 'uploadImage'>;
  onStepsSent?: HazardServiceDeps['onStepsSent'];
  reach?: HazardServiceDeps['reach'];
  documents?: HazardServiceDeps['documents'];
  announce?: HazardServiceDeps['announce'];
}

export const services = (deps: HazardChatDeps): HazardServiceDeps => ({
  db: deps.db,
  clock: deps.clock,
  calendar: deps.calendar,
  links: deps.links,
  policy: deps.policy,
  logger: deps.logger,
  onStepsSent: deps.onStepsSent,
  reach: deps.reach,
  documents: deps.documents,
  announce: deps.announce,
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
  const privately: ChatTarget = input.inGroup || !input.replyTo ? { openId: input.openId } : { replyTo: input.replyTo };
  const person = await findPersonByOpenId(db, input.openId);
  if (!person) {
    await enqueueAnswer(db, privately, cardAnswer(buildNoticeCard('暂不能上报', [NOT_IN_DIRECTORY]), 'report:refused'));
    return;
  }
  const may = await mayOpenReport(db, person);
  if (!may.allowed) {
    await enqueueAnswer(db, privately, cardAnswer(buildNoticeCard('暂不能上报', [may.reason]), 'report:refused'));
    return;
  }
  const now = deps.clock.now();
  const draft = await openReportDraft(db, person.id, now);
  const form = await reportForm(deps, draft.id, {}, undefined, draft.photoCount);
  await enqueueAnswer(db, privately, cardAnswer(form, 'report:form'));
  if (input.inGroup && input.replyTo) {
    await enqueueAnswer(
      db,
      { replyTo: input.replyTo },
      textAnswer('已通过单聊向您发送上报表单，请在与我的单聊中填写。', 'report:private'),
    );
  }
}

/** The report form, its 判定依据 list the chosen sector's once one is chosen (every sector's before). */
export async function reportForm(
  deps: HazardChatDeps,
  draft: number,
  values: Partial<Record<string, string>>,
  errors: Partial<Record<string, string>> | undefined,
  photoCount: number,
  origin?: { title: string; note: string },
) {
  const catalog = await loadBasisCatalog(deps.db);
  return buildReportFormCard({
    ...(origin ? { origin } : {}),
    basisOptions: basisOptions(catalog, values.sector, values.basis),
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
export async function findViewable(
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
export async function sendLivingCard(
  deps: HazardChatDeps,
  found: Extract<Awaited<ReturnType<typeof findViewable>>, { ok: true }>,
  input: { openId: string; to: ChatTarget },
): Promise<void> {
  const { db, clock, calendar } = deps;
  const { record, actor } = found;
  const now = clock.now();
  const view = await buildHazardView(db, record, now, calendar, deps.links);
  const audience = audienceFor(actor, record.hazard);
  const content = renderHazardCard(view, audience, 'query');
  const outboxId = await enqueueAnswer(db, input.to, cardAnswer(content, `hazard:${record.row.code}:query`));
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
export async function showHazard(deps: HazardChatDeps, input: { openId: string; argument: string; to: ChatTarget }) {
  const found = await findViewable(deps.db, input.openId, input.argument);
  if (!found.ok) await enqueueAnswer(deps.db, input.to, textAnswer(found.reason, found.topic));
  else await sendLivingCard(deps, found, input);
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

/**
 * Photos received in one-to-one chat (already downloaded): store, then attach to the inspection under way (检查), or
 * to a report or rectification, or offer a report.
 */
export async function storePhotos(
  deps: HazardChatDeps,
  input: { openId: string; messageId: string; photos: IncomingPhoto[] },
): Promise<void> {
  const { db } = deps;
  const { photos } = input;
  if (photos.length === 0) return;
  const to: ChatTarget = { replyTo: input.messageId };
  const person = await findPersonByOpenId(db, input.openId);
  const inspection = person ? await attachPhotosToOpenInspection(db, { person, photos, now: deps.clock.now() }) : null;
  if (inspection) {
    const attached = `照片已附到正在进行的检查（${inspection.unitName}，共 ${inspection.photoCount} 张）。`;
    await enqueueAnswer(db, to, textAnswer(attached, 'photo:inspection'));
    return;
  }
  const outcome = await attachPhotos(services(deps), { openId: input.openId, photos });
  switch (outcome.kind) {
    case 'not_in_directory':
      await enqueueAnswer(db, to, textAnswer(outcome.message, 'photo:refused'));
      return;
    case 'draft':
      if (outcome.isNew) {
        const offer = buildPhotoOfferCard({ draft: outcome.draftId, photoCount: outcome.photoCount });
        await enqueueAnswer(db, to, cardAnswer(offer, 'photo:offer'));
      } else {
        const attached = `照片已附到正在填写的上报中（共 ${outcome.photoCount} 张），填好表单后点「提交」。`;
        await enqueueAnswer(db, to, textAnswer(attached, 'photo:draft'));
      }
      return;
    case 'hazard':
      await enqueueAnswer(
        db,
        to,
        textAnswer(
          `照片已作为${outcome.stage === 'rectification' ? '整改' : '隐患'}照片附到 ${outcome.code}（共 ${outcome.photoCount} 张）。`,
          'photo:hazard',
        ),
      );
      return;
  }
}
