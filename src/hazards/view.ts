/** A hazard as its cards show it: names instead of ids, the trail in words, photos by image key. */
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { hazardEvents, hazardPhotos } from '../db/schema/index.js';
import { peopleByIds } from '../directory/lookup.js';
import {
  type Calendar,
  daysLeftAtSubmission,
  describeFlags,
  extensionDaysAsked,
  extensionDeadline,
  extensionNeedsNewDate,
  isOverdue,
  STATUS_LABELS,
  SUPERVISION_LABELS,
  trafficLight,
} from '../domain/index.js';
import { type CardLinks, hazardPageUrl } from './cards/detail-link.js';
import type { HazardCardView, LatestStep } from './cards/hazard-card.js';
import { clocksOf } from './clocks.js';
import { planView } from './plan-store.js';
import type { HazardRecord } from './repository.js';

const EVENT_TEXT: Record<string, (d: Record<string, unknown>) => string> = {
  reported: (d) =>
    d.fixedOnSite
      ? `检查${d.inspection ? ` ${String(d.inspection)} ` : ''}中发现${d.grade === 'major' ? '重大' : '一般'}隐患，当场整改（立查立改）`
      : `上报${d.grade === 'major' ? '重大' : '一般'}隐患，整改期限 ${String(d.deadline)}`,
  assigned: () => '指定整改责任人',
  acknowledged: () => '确认接收',
  rectification_submitted: (d) => `提交整改：${String(d.description ?? '')}`,
  extension_requested: (d) => `申请延期至 ${String(d.newDeadline)}：${String(d.reason ?? '')}`,
  extension_approved: (d) =>
    `同意延期：${String(d.from)} → ${String(d.to)}${d.requested ? `（申请至 ${String(d.requested)}，审批时另定）` : ''}`,
  extension_refused: (d) => `不同意延期${d.reason ? `：${String(d.reason)}` : ''}`,
  accepted: (d) => `验收通过${d.note ? `：${String(d.note)}` : ''}`,
  rejected: (d) =>
    `${d.resumption ? '复产验收不通过' : '驳回'}：${String(d.reason ?? '')}${d.deadline ? `；整改期限 ${String(d.previousDeadline)} → ${String(d.deadline)}` : ''}`,
  suspended: (d) =>
    `责令停产停业整改${d.proposedBy ? '（确认停产建议）' : ''}${d.reason ? `：${String(d.reason)}` : ''}`,
  suspension_proposed: (d) => `建议停产停业整改，待行业主管部门确认${d.reason ? `：${String(d.reason)}` : ''}`,
  suspension_declined: (d) => `不同意停产停业${d.reason ? `：${String(d.reason)}` : ''}`,
  suspension_lifted: () => '解除停产停业，同意复产',
  resumption_requested: (d) => `申请复产${d.note ? `：${String(d.note)}` : ''}`,
  resumption_accepted: (d) => `复产验收通过${d.note ? `：${String(d.note)}` : ''}`,
  listed: (d) =>
    `挂牌督办（${d.authority === 'county_safety_office' ? '县安委办' : '行业主管部门'}）${d.note ? `：${String(d.note)}` : ''}`,
  delisted: (d) => `摘牌${d.note ? `：${String(d.note)}` : ''}`,
  supervision_raised: (d) =>
    `列为${SUPERVISION_LABELS[d.to as 'county'] ?? String(d.to)}${d.reason ? `：${String(d.reason)}` : ''}`,
  supervision_lifted: () => '解除督办',
  closed: (d) => (d.note ? `销号（${String(d.note)}）` : '销号'),
  commented: (d) => `督办意见：${String(d.text ?? '')}`,
  plan_submitted: (d) => `提交治理方案（第 ${String(d.version)} 版）`,
  plan_returned: (d) => `退回治理方案（第 ${String(d.version)} 版）：${String(d.reason ?? '')}`,
  plan_accepted: (d) => `治理方案通过（第 ${String(d.version)} 版）`,
  photo_added: (d) => `添加${d.stage === 'rectification' ? '整改' : '隐患'}照片`,
};

export function describeEvent(type: string, details: Record<string, unknown>): string {
  return EVENT_TEXT[type]?.(details) ?? type;
}

/** The step a hazard event records, if it is one the cards announce (remarks, photos, flags are not). */
function stepOf(type: string, d: Record<string, unknown>, who: string, at: string): LatestStep | null {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : null);
  switch (type) {
    case 'acknowledged':
    case 'rectification_submitted':
    case 'accepted':
    case 'resumption_requested':
    case 'delisted':
      return { type, who, at };
    case 'extension_requested':
      return { type, who, at, newDeadline: String(d.newDeadline) };
    case 'extension_approved':
      return {
        type,
        who,
        at,
        newDeadline: String(d.to),
        ...(text(d.requested) ? { requested: String(d.requested) } : {}),
      };
    case 'extension_refused':
      return { type, who, at, reason: text(d.reason) };
    case 'rejected':
      return {
        type,
        who,
        at,
        reason: text(d.reason) ?? '',
        ...(text(d.deadline) ? { deadline: String(d.deadline) } : {}),
      };
    default:
      return null;
  }
}

export async function buildHazardView(
  db: Db,
  record: HazardRecord,
  now: Date,
  calendar: Calendar,
  /** Where the web view is (查看详情 on the cards); undefined = none. */
  links: CardLinks,
): Promise<HazardCardView> {
  const { row, hazard, unit } = record;
  const events = await db
    .select()
    .from(hazardEvents)
    .where(eq(hazardEvents.hazardId, row.id))
    .orderBy(asc(hazardEvents.id));
  const photos = await db
    .select({ stage: hazardPhotos.stage, imageKey: hazardPhotos.imageKey })
    .from(hazardPhotos)
    .where(eq(hazardPhotos.hazardId, row.id))
    .orderBy(asc(hazardPhotos.id));
  const actors = await peopleByIds(
    db,
    events.map((e) => e.actorId).filter((id): id is number => id !== null),
  );
  const people = record.people;
  const name = (id: number | null) => (id === null ? null : (people.get(id)?.name ?? actors.get(id)?.name ?? null));
  const stamp = (at: Date) => {
    const local = calendar.toLocal(at);
    return `${local.date} ${local.time}`;
  };
  const trail = events.map((e) => ({
    type: e.type,
    details: (e.details ?? {}) as Record<string, unknown>,
    at: stamp(e.at).slice(5),
    who: e.actorId === null ? '系统' : (actors.get(e.actorId)?.name ?? '—'),
  }));
  const days = (n: number) => `${n} ${calendar.settings.dayCounting === 'working' ? '个工作日' : '天'}`;
  const extension = hazard.extensionRequest;
  let latestStep: LatestStep | null = null;
  for (const e of trail) latestStep = stepOf(e.type, e.details, e.who, e.at) ?? latestStep;
  return {
    code: row.code,
    status: hazard.status,
    statusLabel: STATUS_LABELS[hazard.status],
    grade: hazard.grade,
    flags: describeFlags(hazard, now, calendar),
    light: trafficLight(hazard, now, calendar),
    overdue: isOverdue(hazard, now, calendar),
    enterprise: { name: unit.enterprise.name, verified: unit.enterprise.verified },
    regionName: unit.region.name,
    departmentName: unit.department?.name ?? null,
    sector: row.sector,
    description: row.description,
    location: row.location,
    measures: row.measures,
    standard: row.standard,
    deadline: row.deadline,
    basis: row.basis,
    suspended: row.suspended,
    suspensionProposal: hazard.suspensionProposal
      ? { byName: name(row.suspensionProposedById) ?? '—', at: stamp(hazard.suspensionProposal.at) }
      : null,
    resumptionRequest: hazard.resumptionRequest
      ? { byName: name(row.resumptionRequestedById) ?? '—', at: stamp(hazard.resumptionRequest.at) }
      : null,
    listing: hazard.listing
      ? {
          authorityLabel:
            hazard.listing.authority.kind === 'county_safety_office'
              ? '县安委办'
              : (unit.department?.name ?? '行业主管部门'),
          byName: name(row.listedById) ?? '—',
          at: stamp(hazard.listing.at),
        }
      : null,
    supervisionLabel: row.supervision === 'none' ? null : SUPERVISION_LABELS[hazard.supervision],
    reporterName: name(row.reporterId) ?? '—',
    responsibleName: name(row.responsibleId),
    acknowledged: row.acknowledgedAt !== null,
    rectification: row.rectification,
    extension:
      extension && row.extensionRequestedById !== null
        ? {
            byName: name(row.extensionRequestedById) ?? '—',
            newDeadline: extension.newDeadline,
            reason: extension.reason,
            requestedAt: stamp(extension.requestedAt),
            needsNewDate: extensionNeedsNewDate(hazard, now, calendar),
            suggestedDeadline: extensionDeadline(
              { deadline: hazard.deadline, extensionRequest: extension },
              now,
              calendar,
            ),
            daysAsked: days(extensionDaysAsked(extension, calendar)),
          }
        : null,
    rejectionDays: hazard.status === 'pending_verification' ? days(daysLeftAtSubmission(hazard, calendar)) : null,
    governancePlan: row.governancePlan ?? null,
    ...(row.grade === 'major' ? { plan: await planLine(db, row.id, calendar) } : {}),
    reportedAt: stamp(row.reportedAt),
    latestStep,
    trail: trail.map((e) => ({ at: e.at, who: e.who, text: describeEvent(e.type, e.details) })),
    photos: photos
      .filter((p): p is { stage: string; imageKey: string } => p.imageKey !== null)
      .map((p) => ({ stage: p.stage === 'rectification' ? 'rectification' : 'report', imageKey: p.imageKey })),
    detailUrl: hazardPageUrl(links, row.code) ?? null,
  };
}

/** A major hazard's 治理方案 as its cards say it: its state and due date (null before the plan existed). */
async function planLine(db: Db, hazardId: number, calendar: Calendar): Promise<HazardCardView['plan']> {
  const clock = (await clocksOf(db, hazardId, 'plan')).at(-1);
  if (!clock) return null;
  const plan = await planView(db, hazardId, calendar);
  return {
    stateLabel: plan.stateLabel,
    due: clock.due,
    version: plan.current?.version ?? null,
    reason: plan.state === 'returned' ? (plan.current?.reason ?? null) : null,
  };
}
