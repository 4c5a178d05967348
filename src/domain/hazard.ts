/**
 * The hazard state machine (product.md "The closed loop", "States"):
 *
 *   reported ──assign──▶ rectifying ──submitRectification──▶ pending_verification ──accept──▶ closed
 *                           ▲                                        │
 *                           └────────────────reject──────────────────┘
 *
 * A listed major hazard (挂牌督办) goes from `pending_verification` to `pending_delisting` on acceptance and closes
 * with 摘牌 by the authority that listed it.
 *
 * Side flags: `overdue` (derived: `isOverdue(hazard, now, calendar)`), `supervision` (none/township/county, 督办;
 * a major hazard is under county supervision from the start), `listing` (挂牌督办, major only, by the county's
 * authority), `suspended` (停产停业, by the department; `suspensionProposal` while another inspector's proposal
 * waits), `resumptionRequest` (申请复产), a pending `extensionRequest` (extension_requested), `acknowledgedAt`.
 *
 * The transitions are hazard-transitions.ts. Every change goes through `applyAction`, which checks who acts (permissions.ts), then whether the hazard is in
 * a state that allows the action, then the input — so a stale card or a double click is told "已处理"
 * (`already_done`) rather than an input error, and a stranger learns nothing about the state.
 * Nothing here mutates its arguments.
 */
import { z } from 'zod';
import { type Calendar, createCalendar } from './calendar.js';
import type { HazardContext, ListingAuthority } from './permissions.js';
import {
  GRADE_LABELS,
  type HazardGrade,
  type HazardStatus,
  type LocalDate,
  type PersonCode,
  SUPERVISION_LABELS,
  type SupervisionLevel,
} from './vocabulary.js';

/** Longest free text accepted for reasons (驳回/延期理由) and rectification descriptions. */
export const MAX_REASON_LENGTH = 500;
export const MAX_DESCRIPTION_LENGTH = 2000;

export interface ExtensionRequest {
  requestedBy: PersonCode;
  requestedAt: Date;
  /** The deadline asked for (later than the current one). */
  newDeadline: LocalDate;
  reason: string;
}

/** Who listed a major hazard (挂牌督办), and so alone may remove the listing (摘牌). */
export interface Listing {
  authority: ListingAuthority;
  by: PersonCode;
  at: Date;
}

/** A request by someone (建议停产停业, 申请复产), waiting for the department's decision. */
export interface PendingRequest {
  by: PersonCode;
  at: Date;
}

/** The state of one hazard that the rules need. Services map their rows to and from this. */
export interface Hazard extends HazardContext {
  grade: HazardGrade;
  status: HazardStatus;
  reportedAt: Date;
  /** When the current responsible person was assigned; null while `reported`. */
  assignedAt: Date | null;
  /** 确认接收 by the current responsible person (or implied by a submission or an extension request). */
  acknowledgedAt: Date | null;
  /** The last local day for rectification (定期限). Overdue from the end of this day. */
  deadline: LocalDate;
  /** When the current deadline took effect (report, rejection, extension approval): reminders before it are void. */
  deadlineSetAt: Date;
  supervision: SupervisionLevel;
  /** 停产停业整改: ordered by the supervising department; lifted by its 复产验收. */
  suspended: boolean;
  /** 建议停产停业 by an inspector without the power to order it, waiting for the department; null otherwise. */
  suspensionProposal: PendingRequest | null;
  /** 申请复产 by the unit while suspended, waiting for the department's 复产验收; null otherwise. */
  resumptionRequest: PendingRequest | null;
  /** 挂牌督办 (major hazards only), kept after 摘牌 as the record of who listed it. */
  listing: Listing | null;
  /** A pending 申请延期, or null. */
  extensionRequest: ExtensionRequest | null;
  /** When the latest rectification was submitted. */
  rectifiedAt: Date | null;
  closedAt: Date | null;
  closedBy: PersonCode | null;
}

export type HazardAction =
  | { type: 'assign'; responsible: PersonCode }
  | { type: 'acknowledge' }
  | { type: 'submitRectification'; description: string }
  | { type: 'requestExtension'; newDeadline: LocalDate; reason: string }
  /** `deadline`: the approver's date, needed when the date asked for has passed (a decision never sets a past one). */
  | { type: 'approveExtension'; deadline?: LocalDate }
  | { type: 'refuseExtension'; reason?: string }
  | { type: 'accept'; note?: string }
  /** `deadline`: the new deadline; by default the days the unit had left when it submitted, from the rejection. */
  | { type: 'reject'; reason: string; deadline?: LocalDate }
  | { type: 'escalateSupervision'; level: Exclude<SupervisionLevel, 'none'>; reason?: string }
  /** 挂牌督办: the county's authority lists a major hazard. */
  | { type: 'list'; note?: string }
  /** 摘牌: the listing authority removes the listing of an accepted hazard, which closes it (摘牌销号). */
  | { type: 'delist'; note?: string }
  /** 责令停产停业: the supervising department orders it (confirming a proposal, if there is one). */
  | { type: 'orderSuspension'; reason?: string }
  /** 建议停产停业: any other inspector over the unit proposes it to the department. */
  | { type: 'proposeSuspension'; reason?: string }
  /** 不同意停产: the department declines a proposal. */
  | { type: 'declineSuspension'; reason?: string }
  /** 申请复产: the unit, once its rectification is submitted. */
  | { type: 'requestResumption'; note?: string }
  /** 复产验收通过: the department, on site — the hazard is accepted (核销) and production resumes. */
  | { type: 'acceptResumption'; note?: string }
  /** 复产验收不通过: back to rectifying, with a new deadline like a rejection. */
  | { type: 'rejectResumption'; reason: string; deadline?: LocalDate }
  /** 督办意见: a remark on the record by anyone who may view it (leaders' way to act); the state does not change. */
  | { type: 'comment'; text: string };

export type HazardActionType = HazardAction['type'];

const text = z.string();
/**
 * zod: the shape of an action as a card callback or API body carries it. Content (blank reasons, lengths, dates)
 * is checked by `applyAction`, which answers in Chinese with the field to fix.
 */
export const hazardActionSchema: z.ZodType<HazardAction> = z.discriminatedUnion('type', [
  z.object({ type: z.literal('assign'), responsible: text }),
  z.object({ type: z.literal('acknowledge') }),
  z.object({ type: z.literal('submitRectification'), description: text }),
  z.object({ type: z.literal('requestExtension'), newDeadline: text, reason: text }),
  z.object({ type: z.literal('approveExtension'), deadline: text.optional() }),
  z.object({ type: z.literal('refuseExtension'), reason: text.optional() }),
  z.object({ type: z.literal('accept'), note: text.optional() }),
  z.object({ type: z.literal('reject'), reason: text, deadline: text.optional() }),
  z.object({ type: z.literal('escalateSupervision'), level: z.enum(['township', 'county']), reason: text.optional() }),
  z.object({ type: z.literal('comment'), text }),
  z.object({ type: z.literal('list'), note: text.optional() }),
  z.object({ type: z.literal('delist'), note: text.optional() }),
  z.object({ type: z.literal('orderSuspension'), reason: text.optional() }),
  z.object({ type: z.literal('proposeSuspension'), reason: text.optional() }),
  z.object({ type: z.literal('declineSuspension'), reason: text.optional() }),
  z.object({ type: z.literal('requestResumption'), note: text.optional() }),
  z.object({ type: z.literal('acceptResumption'), note: text.optional() }),
  z.object({ type: z.literal('rejectResumption'), reason: text, deadline: text.optional() }),
]);

/** Who did it: a person code, or 'system' for the service (escalation policy). */
export type EventActor = PersonCode | 'system';

/**
 * What happened, for the audit trail and for deciding whom to tell. Events come in the order they happened.
 * `reported` with `fixedOnSite`: 立查立改, found and fixed during inspection `inspection` (registered and closed at once).
 */
export type HazardEvent = { at: Date; by: EventActor } & (
  | { type: 'reported'; grade: HazardGrade; deadline: LocalDate; fixedOnSite?: true; inspection?: string }
  | { type: 'assigned'; responsible: PersonCode; previous: PersonCode | null }
  | { type: 'acknowledged' }
  | { type: 'rectification_submitted'; description: string }
  | { type: 'extension_requested'; newDeadline: LocalDate; reason: string }
  /** `requested`: the date asked for, when the approver set another (it had passed). */
  | { type: 'extension_approved'; from: LocalDate; to: LocalDate; requested?: LocalDate }
  | { type: 'extension_refused'; requested: LocalDate; reason: string | null }
  | { type: 'accepted'; note: string | null }
  /** The rejection sets a new deadline (`deadline`, from `previousDeadline`): waiting for verification is not the unit's time. */
  | {
      type: 'rejected';
      reason: string;
      deadline: LocalDate;
      previousDeadline: LocalDate;
      /** The rejection was the department's 复产验收不通过. */
      resumption?: true;
    }
  /** `proposedBy`: the inspector whose proposal the department confirmed. */
  | { type: 'suspended'; reason?: string | null; proposedBy?: PersonCode }
  | { type: 'suspension_proposed'; reason: string | null }
  | { type: 'suspension_declined'; reason: string | null; proposedBy: PersonCode }
  | { type: 'suspension_lifted' }
  | { type: 'resumption_requested'; note: string | null }
  | { type: 'resumption_accepted'; note: string | null }
  /** `authority`: `county_safety_office` or `department:<code>`. */
  | { type: 'listed'; authority: string; note: string | null }
  | { type: 'delisted'; note: string | null }
  | {
      type: 'supervision_raised';
      from: SupervisionLevel;
      to: SupervisionLevel;
      reason: string | null;
      /** The escalation policy's step (its key) that raised it, when the service did. */
      step?: string;
    }
  | { type: 'supervision_lifted'; from: SupervisionLevel }
  /** `note`: why it closed without a verification (立查立改). */
  | { type: 'closed'; note?: string }
  | { type: 'commented'; text: string }
);

export type HazardEventType = HazardEvent['type'];

export type HazardErrorCode =
  /** The actor may not do this to this hazard (stranger, wrong role, rectifier verifying own work). */
  | 'forbidden'
  /** The action (or a competing one) has already been done: tell the user "已处理", change nothing. */
  | 'already_done'
  /** The hazard is not yet at the point where this action makes sense (e.g. verify before any submission). */
  | 'wrong_state'
  /** The input is bad (missing reason, impossible date); `field` names the form field when there is one. */
  | 'invalid_input';

export interface HazardError {
  code: HazardErrorCode;
  /** For the user, in Chinese. */
  message: string;
  field?: string;
}

export type HazardResult = { ok: true; hazard: Hazard; events: HazardEvent[] } | { ok: false; error: HazardError };

const DEFAULT_CALENDAR = createCalendar();

// ---------------------------------------------------------------------------------------------------------------
// Derived flags

/**
 * Overdue (超期): the end of the deadline's local day has passed while the hazard still waits on the responsible
 * side (`reported` or `rectifying`). A hazard waiting for verification or closed is not overdue.
 */
export function isOverdue(hazard: Hazard, now: Date, calendar: Calendar = DEFAULT_CALENDAR): boolean {
  // 待验收 / 待摘牌 / 已销号: the unit has done its part.
  if (hazard.status !== 'reported' && hazard.status !== 'rectifying') return false;
  return now.getTime() >= calendar.deadlineInstant(hazard.deadline).getTime();
}

/** True while an extension request waits for a decision (extension_requested). */
export function isExtensionRequested(hazard: Hazard): boolean {
  return hazard.extensionRequest !== null;
}

export type TrafficLight = 'red' | 'yellow' | 'green';

/**
 * The digest colour: red = overdue; yellow = the deadline is at most `dueSoonDays` calendar days away;
 * green = on track. Closed hazards and those awaiting verification are green.
 */
export function trafficLight(
  hazard: Hazard,
  now: Date,
  calendar: Calendar = DEFAULT_CALENDAR,
  dueSoonDays = 3,
): TrafficLight {
  if (isOverdue(hazard, now, calendar)) return 'red';
  if (hazard.status !== 'reported' && hazard.status !== 'rectifying') return 'green';
  const today = calendar.localDate(now);
  const daysLeft = (Date.parse(hazard.deadline) - Date.parse(today)) / 86_400_000;
  return daysLeft <= dueSoonDays ? 'yellow' : 'green';
}

/** A one-line Chinese summary of grade and flags, e.g. "重大隐患 · 挂牌督办 · 县级督办 · 停产停业整改". */
export function describeFlags(hazard: Hazard, now: Date, calendar: Calendar = DEFAULT_CALENDAR): string {
  const parts: string[] = [GRADE_LABELS[hazard.grade]];
  if (hazard.listing) parts.push(hazard.status === 'closed' ? '已摘牌' : '挂牌督办');
  if (hazard.supervision !== 'none') parts.push(SUPERVISION_LABELS[hazard.supervision]);
  if (hazard.suspended) parts.push('停产停业整改');
  else if (hazard.suspensionProposal) parts.push('建议停产停业');
  if (hazard.resumptionRequest) parts.push('已申请复产');
  if (isOverdue(hazard, now, calendar)) parts.push('已超期');
  if (hazard.extensionRequest) parts.push('延期审批中');
  return parts.join(' · ');
}
