/**
 * Issuing a hazard's documents: rendered, kept (hazard_documents) and queued as file messages, all in the transaction
 * of the change that issues them — the 隐患整改通知书 with the report (or the later assignment of a responsible
 * person), an 整改复查意见书 with each 验收通过 or 驳回, and a major hazard's 治理方案 when its form is submitted.
 * In the transaction rather than after it: the document is then there exactly when the change is, and its file
 * message is an outbox row like every other message (rendering costs some tens of ms, the fonts parsed once).
 */
import { isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { regions } from '../../db/schema/index.js';
import type { UnitRecord } from '../../directory/lookup.js';
import type { Calendar, HazardAction, HazardEvent, HazardGrade } from '../../domain/index.js';
import { enqueueMessages, fileMessage } from '../../feishu/outbox.js';
import type { HazardRecord } from '../repository.js';
import {
  DOCUMENT_TITLES,
  type GovernancePlanInput,
  renderGovernancePlanPdf,
  renderRectificationNoticePdf,
  renderReviewOpinionPdf,
} from './render.js';
import { attachmentOf, countDocuments, type StoredDocument, saveDocument } from './store.js';

/** What documents need beyond the hazard: the county's name (COUNTY_NAME), unset for the directory's own. */
export interface DocumentSettings {
  countyName?: string | undefined;
}

/** COUNTY_NAME, else the name of the directory's root region when there is exactly one, else 本县. */
export async function countyNameOf(db: Db, configured: string | undefined): Promise<string> {
  if (configured?.trim()) return configured.trim();
  const roots = await db.select({ name: regions.name }).from(regions).where(isNull(regions.parentId)).limit(2);
  return roots.length === 1 ? roots[0]!.name : '本县';
}

/**
 * Who issues the unit's documents: its supervising department under the county's name (县应急管理局 in 示例县 →
 * 示例县应急管理局), or the county's safety committee office when the unit has no department.
 */
export function issuerOf(unit: Pick<UnitRecord, 'department'>, countyName: string): string {
  const department = unit.department?.name.trim();
  if (!department) return `${countyName}安全生产委员会办公室`;
  if (department.startsWith(countyName)) return department;
  if (department.startsWith('县') && countyName.endsWith('县')) return `${countyName}${department.slice(1)}`;
  return `${countyName}${department}`;
}

/** `隐患整改通知书-YH-2026-000123.pdf` */
function fileNameOf(title: string, code: string, suffix = ''): string {
  return `${title}-${code}${suffix}.pdf`;
}

/** Queues `document` to each open_id as a file message (in `tx`). */
export async function sendDocument(tx: Db, code: string, document: StoredDocument, openIds: string[]): Promise<void> {
  const unique = [...new Set(openIds.filter(Boolean))];
  await enqueueMessages(
    tx,
    unique.map((openId) => fileMessage({ openId }, attachmentOf(document), `hazard:${code}:document:${document.name}`)),
  );
}

/**
 * The 隐患整改通知书 of a hazard with a responsible person, kept as `notice`; issued once (null when the hazard has
 * no responsible person, or already has its notice). The caller sends it with the notice card.
 */
export async function issueRectificationNotice(
  tx: Db,
  input: { record: HazardRecord; calendar: Calendar; settings: DocumentSettings; now: Date },
): Promise<StoredDocument | null> {
  const { record, calendar, now } = input;
  const { row } = record;
  if (row.responsibleId === null || row.fixedOnSite) return null;
  if ((await countDocuments(tx, row.id, 'notice')) > 0) return null;
  const responsible = record.people.get(row.responsibleId);
  const reporter = record.people.get(row.reporterId);
  const countyName = await countyNameOf(tx, input.settings.countyName);
  const content = await renderRectificationNoticePdf({
    hazardCode: row.code,
    issuer: issuerOf(record.unit, countyName),
    unitName: record.unit.enterprise.name,
    location: row.location,
    description: row.description,
    grade: row.grade as HazardGrade,
    basis: row.basis,
    measures: row.measures,
    standard: row.standard,
    deadline: row.deadline,
    responsibleName: responsible?.name ?? '',
    reporterName: reporter?.name ?? '',
    suspended: row.suspended,
    issuedOn: calendar.localDate(now),
    createdAt: now,
  });
  return saveDocument(tx, {
    hazardId: row.id,
    name: 'notice',
    title: DOCUMENT_TITLES.notice,
    fileName: fileNameOf(DOCUMENT_TITLES.notice, row.code),
    content,
    now,
  });
}

/**
 * The documents a change issues, kept and sent in its transaction: an 整改复查意见书 (`review-<n>`) to the responsible
 * person on 验收通过 and 驳回, and the 隐患整改通知书 when a responsible person is first assigned.
 */
export async function issueDocumentsAfter(
  tx: Db,
  input: {
    action: HazardAction;
    events: readonly HazardEvent[];
    updated: HazardRecord;
    actorName: string;
    calendar: Calendar;
    settings: DocumentSettings;
    now: Date;
  },
): Promise<void> {
  const { action, events, updated, calendar, now } = input;
  const { row } = updated;
  const responsible = row.responsibleId === null ? null : (updated.people.get(row.responsibleId) ?? null);
  if (action.type === 'assign') {
    const notice = await issueRectificationNotice(tx, { record: updated, calendar, settings: input.settings, now });
    if (notice && responsible?.openId) await sendDocument(tx, row.code, notice, [responsible.openId]);
    return;
  }
  // 复产验收 is the re-inspection of a suspended unit (第十八条): its decision gets the same opinion, saying so.
  const accepted = action.type === 'accept' || action.type === 'acceptResumption';
  if (!accepted && action.type !== 'reject' && action.type !== 'rejectResumption') return;
  const rejected = events.find((e): e is Extract<HazardEvent, { type: 'rejected' }> => e.type === 'rejected');
  const sequence = (await countDocuments(tx, row.id, 'review-')) + 1;
  const countyName = await countyNameOf(tx, input.settings.countyName);
  const content = await renderReviewOpinionPdf({
    hazardCode: row.code,
    issuer: issuerOf(updated.unit, countyName),
    unitName: updated.unit.enterprise.name,
    sequence,
    outcome: accepted ? 'accepted' : 'rejected',
    grade: row.grade as HazardGrade,
    description: row.description,
    rectification: row.rectification,
    reason: rejected?.reason ?? null,
    newDeadline: rejected?.deadline ?? null,
    suspensionLifted: events.some((e) => e.type === 'suspension_lifted'),
    awaitsDelisting: row.status === 'pending_delisting',
    verifierName: input.actorName,
    responsibleName: responsible?.name ?? null,
    reviewedOn: calendar.localDate(now),
    createdAt: now,
  });
  const document = await saveDocument(tx, {
    hazardId: row.id,
    name: `review-${sequence}`,
    title: DOCUMENT_TITLES.review,
    fileName: fileNameOf(DOCUMENT_TITLES.review, row.code, `-${sequence}`),
    content,
    now,
  });
  if (responsible?.openId) await sendDocument(tx, row.code, document, [responsible.openId]);
}

/**
 * A major hazard's 治理方案 as a PDF, kept as `plan` (a resubmitted plan replaces it) and sent to `sendTo` (open_ids),
 * in transaction `tx`. For the plan form's submit and acceptance: call it in their transaction.
 */
export async function storeGovernancePlan(
  tx: Db,
  input: { hazardId: number; plan: GovernancePlanInput; sendTo?: string[]; timeZone?: string; now: Date },
): Promise<StoredDocument> {
  const content = await renderGovernancePlanPdf(input.plan, { timeZone: input.timeZone });
  const document = await saveDocument(tx, {
    hazardId: input.hazardId,
    name: 'plan',
    title: DOCUMENT_TITLES.plan,
    fileName: fileNameOf(DOCUMENT_TITLES.plan, input.plan.hazardCode),
    content,
    now: input.now,
  });
  if (input.sendTo?.length) await sendDocument(tx, input.plan.hazardCode, document, input.sendTo);
  return document;
}
