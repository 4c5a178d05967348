/**
 * Who hears of a hazard the moment it is registered (besides the policy's own `on: reported` steps): the responsible
 * person's notice, the local inspectors' information card, and for a major hazard the decisions it asks of the
 * county's authority (挂牌督办) and of the supervising department (an inspector's 建议停产停业). A responsible person the bot cannot reach (no Feishu
 * account in the tenant, deactivated) falls back up the chain of responsibility like any reminder — to the unit's
 * other key person, or to the township, asked to get the notice to the unit; people outside Feishu get an SMS when a
 * gateway is configured. Answers what the reporter must be told of it (their toast).
 */
import type { Db } from '../db/client.js';
import { authoritiesOver, localInspectors, type PersonRecord, type UnitRecord } from '../directory/lookup.js';
import { GRADE_LABELS, type HazardGrade, isUnitSide } from '../domain/index.js';
import { enqueueMessages } from '../feishu/outbox.js';
import { buildReminderCard } from '../reminders/cards.js';
import { type ReachOptions, smsMobileOf } from '../reminders/reach.js';
import { ResponsibilityCache } from '../reminders/recipients.js';
import {
  fallbackNote,
  RECIPIENT_LABELS,
  recipientLabel,
  recipientsOf,
  type StepPerson,
} from '../reminders/sweep/compose.js';
import { enqueueSms, maskMobile, renderSmsParams } from '../sms/index.js';
import { type CardRecipient, sendHazardCards } from './cards/delivery.js';
import type { HazardCardView } from './cards/hazard-card.js';
import { sendDocument } from './documents/issue.js';
import type { StoredDocument } from './documents/store.js';

export interface ReportNoticeInput {
  hazard: { id: number; code: string; deadline: string; grade: HazardGrade };
  description: string;
  unit: UnitRecord;
  /** The reporter: never sent a notice of their own report. */
  reporter: PersonRecord;
  responsible: StepPerson | null;
  view: HazardCardView;
  reach: ReachOptions;
  now: Date;
  /** The 隐患整改通知书 (PDF), sent as a file with each notice card. */
  noticeDocument?: StoredDocument | null;
}

/** Sends the report's notices in transaction `tx`; answers the fallback and SMS notes for the reporter's toast. */
export async function sendReportNotices(tx: Db, input: ReportNoticeInput): Promise<string[]> {
  const { hazard, unit, reporter, reach } = input;
  const notice = await noticeRecipients(tx, unit, input.responsible, reach);

  // The responsible side's notice first: one who is also a local inspector gets that card, not the information card.
  const cards = new Map<string, CardRecipient>();
  const add = (p: PersonRecord | null | undefined, r: Omit<CardRecipient, 'openId'>) => {
    if (p?.openId && p.code !== reporter.code && !cards.has(p.openId)) cards.set(p.openId, { openId: p.openId, ...r });
  };
  for (const r of notice.recipients) if (isUnitSide(r.role)) add(r.person, { audience: 'rectifier', kind: 'notice' });
  // 治: the department decides an inspector's 建议停产停业; the county's authority decides the listing (挂牌督办).
  if (input.view.suspensionProposal) {
    // The department's own inspectors keep an inspector's card (with its decisions); its leader gets the authority's.
    for (const p of await authoritiesOver(tx, unit, 'enforcement')) {
      add(p, { audience: p.inspects ? 'department' : 'authority', kind: 'suspension' });
    }
  }
  if (hazard.grade === 'major') {
    for (const p of await authoritiesOver(tx, unit, 'listing')) add(p, { audience: 'authority', kind: 'listing' });
  }
  for (const inspector of await localInspectors(tx, unit)) add(inspector, { audience: 'verifier', kind: 'info' });
  await sendHazardCards(tx, { id: hazard.id, code: hazard.code }, input.view, [...cards.values()], input.now);
  if (input.noticeDocument) {
    const noticed = [...cards.values()].filter((c) => c.kind === 'notice').map((c) => c.openId);
    await sendDocument(tx, hazard.code, input.noticeDocument, noticed);
  }

  const notes = notice.fallbacks.map((f) => fallbackNote(f, reach));
  // Whoever is told but is outside Feishu gets the notice by SMS: the unit's people answer through the township's
  // inspectors, who have the card; a leader told in their place is asked to relay it.
  for (const r of notice.recipients) {
    const phone = r.person.code === reporter.code ? null : smsMobileOf(r.person, reach);
    if (!phone) continue;
    await enqueueSms(tx, {
      phone,
      params: renderSmsParams({
        hazardCode: hazard.code,
        unitName: unit.enterprise.name,
        deadline: hazard.deadline,
        ask: isUnitSide(r.role) ? '请确认接收并按措施整改' : '单位联系不上，请转告单位整改',
        link: null,
      }),
      topic: `hazard:${hazard.code}:sms:${r.person.code}`,
    });
    notes.push(`${RECIPIENT_LABELS[r.role]}${r.person.name}尚未加入飞书，已发短信通知（${maskMobile(phone)}）`);
  }

  // A government person told in the unit's place on Feishu: a card asking them to get the notice to the unit.
  const relays = notice.recipients.filter(
    (r) => !isUnitSide(r.role) && r.person.code !== reporter.code && r.person.openId,
  );
  if (relays.length > 0) {
    await enqueueMessages(
      tx,
      relays.map((r) => ({
        to: { openId: r.person.openId! },
        msgType: 'interactive',
        content: buildReminderCard({
          hazardCode: hazard.code,
          enterpriseName: unit.enterprise.name,
          description: input.description,
          deadline: hazard.deadline,
          gradeLabel: GRADE_LABELS[hazard.grade],
          overdueDays: null,
          daysLeft: null,
          stepLabel: '新登记隐患，请转告单位',
          channel: 'card',
          raisesSupervision: false,
          responsibleName: input.responsible?.name ?? null,
          notified: notice.recipients.map(recipientLabel),
          fallbackNotes: notes,
          ...(input.view.detailUrl ? { detailUrl: input.view.detailUrl } : {}),
        }),
        topic: `hazard:${hazard.code}:relay`,
      })),
    );
  }
  return notes;
}

/** Who gets the responsible person's notice: the same chain resolution as every reminder's (sweep/compose.ts). */
async function noticeRecipients(tx: Db, unit: UnitRecord, responsible: StepPerson | null, reach: ReachOptions) {
  const chain = new ResponsibilityCache();
  const key = { enterpriseId: unit.enterprise.id, regionId: unit.region.id, departmentId: unit.department?.id ?? null };
  await chain.load(tx, [key]);
  return recipientsOf({ who: ['responsible'] }, { unit: chain.get(key), responsible, reporter: null }, reach);
}
