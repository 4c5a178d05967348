/**
 * The hazard state machine's transitions: a report (`reportHazard`) and every action after it (`applyAction`), each
 * answering the new hazard and the events that led to it, or an error that says why not. hazard.ts has the states,
 * the events and the order of checks: who acts, then the state, then the input.
 *
 * Kept whole because `applyAction` is one switch over the actions, each case checking in that same order; split
 * across files, the order would be harder to see and to keep.
 */
import { type Calendar, createCalendar } from './calendar.js';
import { extensionNeedsNewDate, rejectionDeadline } from './decision-deadlines.js';
import {
  type EventActor,
  type ExtensionRequest,
  type Hazard,
  type HazardAction,
  type HazardErrorCode,
  type HazardEvent,
  type HazardResult,
  MAX_DESCRIPTION_LENGTH,
  MAX_REASON_LENGTH,
} from './hazard.js';
import { isLocalDate } from './local-time.js';
import {
  type Actor,
  canAssign,
  canComment,
  canDecideExtension,
  canDecideResumption,
  canDelist,
  canEscalateSupervision,
  canList,
  canOrderSuspension,
  canProposeSuspension,
  canRectify,
  canReport,
  canVerify,
  formatListingAuthority,
  type PermissionDecision,
  type UnitContext,
} from './permissions.js';
import {
  compareSupervision,
  type HazardGrade,
  type LocalDate,
  type PersonCode,
  SUPERVISION_LABELS,
  type SupervisionLevel,
} from './vocabulary.js';

const DEFAULT_CALENDAR = createCalendar();

const fail = (code: HazardErrorCode, message: string, field?: string): HazardResult => ({
  ok: false,
  error: field ? { code, message, field } : { code, message },
});

const forbidden = (decision: PermissionDecision): HazardResult | null =>
  decision.allowed ? null : fail('forbidden', decision.reason);

const eventActor = (actor: Actor): EventActor => (actor.kind === 'person' ? actor.person : 'system');

/** Trims; returns an error result when blank or too long. */
function checkText(
  value: string | undefined,
  what: string,
  field: string,
  max: number,
): { text: string } | { error: HazardResult } {
  const text = (value ?? '').trim();
  if (text === '') return { error: fail('invalid_input', `请填写${what}`, field) };
  if (text.length > max) {
    return { error: fail('invalid_input', `${what}最多 ${max} 个字，当前 ${text.length} 个字`, field) };
  }
  return { text };
}

// ---------------------------------------------------------------------------------------------------------------
// Report

export interface ReportInput {
  unit: UnitContext;
  grade: HazardGrade;
  /** 定期限; defaults to `calendar.defaultDeadline(grade, now)`. */
  deadline?: LocalDate;
  /** 定责任人; defaults to the unit's principal. With nobody, the hazard stays `reported` until assigned. */
  responsible?: PersonCode | null;
  /**
   * 停产停业整改 — major hazards only: ordered when the reporter's department may order it, otherwise proposed to
   * the department (建议停产停业).
   */
  suspended?: boolean;
}

/**
 * 上报 → 登记: a new hazard from a report. A major hazard is under county supervision at once; with a
 * responsible person (given or the unit's principal) it is assigned straight away (status `rectifying`).
 * Events: reported, then supervision_raised / suspended / assigned as they apply.
 */
export function reportHazard(
  input: ReportInput,
  actor: Actor,
  now: Date,
  calendar: Calendar = DEFAULT_CALENDAR,
): HazardResult {
  const denied = forbidden(canReport(actor, input.unit));
  if (denied) return denied;
  if (actor.kind !== 'person') return fail('forbidden', '系统不能上报隐患');

  const deadline = input.deadline ?? calendar.defaultDeadline(input.grade, now).date;
  const problem = calendar.checkDeadline(deadline, now);
  if (problem) return fail('invalid_input', problem.message, 'deadline');
  if (input.suspended && input.grade !== 'major') {
    return fail('invalid_input', '只有重大隐患可以责令停产停业整改', 'suspend');
  }

  const by = actor.person;
  const responsible = input.responsible === undefined ? input.unit.principal : input.responsible;
  const supervision: SupervisionLevel = input.grade === 'major' ? 'county' : 'none';
  const orders = input.suspended === true && canOrderSuspension(actor, input.unit).allowed;
  const proposes = input.suspended === true && !orders;
  const hazard: Hazard = {
    ...copyUnit(input.unit),
    reporter: by,
    responsible: null,
    rectifiedBy: null,
    rectifiers: [],
    grade: input.grade,
    status: 'reported',
    reportedAt: now,
    assignedAt: null,
    acknowledgedAt: null,
    deadline,
    deadlineSetAt: now,
    supervision,
    suspended: orders,
    suspensionProposal: proposes ? { by, at: now } : null,
    resumptionRequest: null,
    listing: null,
    extensionRequest: null,
    rectifiedAt: null,
    closedAt: null,
    closedBy: null,
  };
  const events: HazardEvent[] = [{ type: 'reported', at: now, by, grade: input.grade, deadline }];
  if (supervision !== 'none') {
    events.push({ type: 'supervision_raised', at: now, by, from: 'none', to: supervision, reason: '重大事故隐患' });
  }
  if (orders) events.push({ type: 'suspended', at: now, by, reason: null });
  if (proposes) events.push({ type: 'suspension_proposed', at: now, by, reason: null });
  if (responsible) {
    hazard.status = 'rectifying';
    hazard.responsible = responsible;
    hazard.assignedAt = now;
    events.push({ type: 'assigned', at: now, by, responsible, previous: null });
  }
  return { ok: true, hazard, events };
}

function copyUnit(unit: UnitContext): UnitContext {
  return {
    enterpriseCode: unit.enterpriseCode,
    regionPath: [...unit.regionPath],
    departmentCode: unit.departmentCode,
    principal: unit.principal,
    safetyOfficer: unit.safetyOfficer,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Transitions

/**
 * Applies one action at `now`. On success: the next hazard (a new object) and the events it caused.
 * On failure: why, with a code that separates "not for you" (forbidden) from "already handled" (already_done),
 * "not yet" (wrong_state) and bad input (invalid_input). `calendar` is used for date rules (extension deadlines).
 */
export function applyAction(
  hazard: Hazard,
  action: HazardAction,
  actor: Actor,
  now: Date,
  calendar: Calendar = DEFAULT_CALENDAR,
): HazardResult {
  switch (action.type) {
    case 'assign':
      return assign(hazard, action.responsible, actor, now);
    case 'acknowledge':
      return acknowledge(hazard, actor, now);
    case 'submitRectification':
      return submitRectification(hazard, action.description, actor, now);
    case 'requestExtension':
      return requestExtension(hazard, action.newDeadline, action.reason, actor, now, calendar);
    case 'approveExtension':
      return approveExtension(hazard, action.deadline, actor, now, calendar);
    case 'refuseExtension':
      return refuseExtension(hazard, action.reason, actor, now);
    case 'accept':
      return accept(hazard, action.note, actor, now);
    case 'reject':
      return reject(hazard, action.reason, action.deadline, actor, now, calendar);
    case 'escalateSupervision':
      return escalateSupervision(hazard, action.level, action.reason, actor, now);
    case 'comment':
      return comment(hazard, action.text, actor, now);
    case 'list':
      return list(hazard, action.note, actor, now);
    case 'delist':
      return delist(hazard, action.note, actor, now);
    case 'orderSuspension':
      return orderSuspension(hazard, action.reason, actor, now);
    case 'proposeSuspension':
      return proposeSuspension(hazard, action.reason, actor, now);
    case 'declineSuspension':
      return declineSuspension(hazard, action.reason, actor, now);
    case 'requestResumption':
      return requestResumption(hazard, action.note, actor, now);
    case 'acceptResumption':
      return acceptResumption(hazard, action.note, actor, now);
    case 'rejectResumption':
      return rejectResumption(hazard, action.reason, action.deadline, actor, now, calendar);
    default: {
      const unknown: never = action;
      return fail('invalid_input', `未知操作：${(unknown as { type?: string }).type}`);
    }
  }
}

const CLOSED_MESSAGE = '该隐患已验收销号，无需再操作';
const DELISTING_MESSAGE = '整改已验收通过，等待挂牌单位摘牌销号';

function assign(hazard: Hazard, responsible: PersonCode, actor: Actor, now: Date): HazardResult {
  const denied = forbidden(canAssign(actor, hazard));
  if (denied) return denied;
  if (hazard.status === 'closed') return fail('already_done', CLOSED_MESSAGE);
  if (hazard.status === 'pending_delisting') return fail('already_done', DELISTING_MESSAGE);
  if (hazard.status === 'pending_verification') {
    return fail('wrong_state', '整改已提交、正在等待验收，不能更换责任人');
  }
  if (hazard.responsible === responsible) return fail('already_done', '已指定该责任人');
  if (!responsible?.trim()) return fail('invalid_input', '请指定整改责任人', 'responsible');
  const next: Hazard = {
    ...hazard,
    status: 'rectifying',
    responsible,
    assignedAt: now,
    acknowledgedAt: null,
  };
  return {
    ok: true,
    hazard: next,
    events: [{ type: 'assigned', at: now, by: eventActor(actor), responsible, previous: hazard.responsible }],
  };
}

/** The states in which the responsible side can act; otherwise the matching error. */
function rectifyingStateError(hazard: Hazard, pendingMessage: string): HazardResult | null {
  switch (hazard.status) {
    case 'closed':
      return fail('already_done', CLOSED_MESSAGE);
    case 'pending_delisting':
      return fail('already_done', DELISTING_MESSAGE);
    case 'reported':
      return fail('wrong_state', '该隐患尚未指定整改责任人');
    case 'pending_verification':
      return fail('already_done', pendingMessage);
    case 'rectifying':
      return null;
  }
}

function acknowledge(hazard: Hazard, actor: Actor, now: Date): HazardResult {
  const denied = forbidden(canRectify(actor, hazard));
  if (denied) return denied;
  const stateError = rectifyingStateError(hazard, '已确认接收');
  if (stateError) return stateError;
  if (hazard.acknowledgedAt) return fail('already_done', '已确认接收');
  return {
    ok: true,
    hazard: { ...hazard, acknowledgedAt: now },
    events: [{ type: 'acknowledged', at: now, by: eventActor(actor) }],
  };
}

function submitRectification(hazard: Hazard, description: string, actor: Actor, now: Date): HazardResult {
  const denied = forbidden(canRectify(actor, hazard));
  if (denied) return denied;
  if (actor.kind !== 'person') return fail('forbidden', '系统不能代为整改');
  const stateError = rectifyingStateError(hazard, '整改已提交，正在等待验收');
  if (stateError) return stateError;
  const checked = checkText(description, '整改情况', 'description', MAX_DESCRIPTION_LENGTH);
  if ('error' in checked) return checked.error;
  const events: HazardEvent[] = [];
  // Submitting is the strongest acknowledgement there is.
  if (!hazard.acknowledgedAt) events.push({ type: 'acknowledged', at: now, by: actor.person });
  events.push({ type: 'rectification_submitted', at: now, by: actor.person, description: checked.text });
  return {
    ok: true,
    hazard: {
      ...hazard,
      status: 'pending_verification',
      acknowledgedAt: hazard.acknowledgedAt ?? now,
      rectifiedBy: actor.person,
      rectifiers: hazard.rectifiers.includes(actor.person) ? hazard.rectifiers : [...hazard.rectifiers, actor.person],
      rectifiedAt: now,
    },
    events,
  };
}

function requestExtension(
  hazard: Hazard,
  newDeadline: LocalDate,
  reason: string,
  actor: Actor,
  now: Date,
  calendar: Calendar,
): HazardResult {
  const denied = forbidden(canRectify(actor, hazard));
  if (denied) return denied;
  if (actor.kind !== 'person') return fail('forbidden', '系统不能申请延期');
  if (hazard.status === 'pending_verification') return fail('wrong_state', '整改已提交、正在等待验收，无需延期');
  const stateError = rectifyingStateError(hazard, '');
  if (stateError) return stateError;
  if (hazard.extensionRequest) {
    return fail('already_done', `已申请延期至 ${hazard.extensionRequest.newDeadline}，正在等待审批`);
  }
  if (!isLocalDate(newDeadline ?? '')) return fail('invalid_input', '请选择新的整改期限', 'newDeadline');
  if (newDeadline <= hazard.deadline) {
    return fail('invalid_input', `新的整改期限须晚于当前期限 ${hazard.deadline}`, 'newDeadline');
  }
  const problem = calendar.checkDeadline(newDeadline, now);
  if (problem) return fail('invalid_input', problem.message, 'newDeadline');
  const checked = checkText(reason, '延期理由', 'reason', MAX_REASON_LENGTH);
  if ('error' in checked) return checked.error;
  const request: ExtensionRequest = { requestedBy: actor.person, requestedAt: now, newDeadline, reason: checked.text };
  const events: HazardEvent[] = [];
  // Asking for more time is answering the notice: the "not acknowledged" reminder has nothing left to ask.
  if (!hazard.acknowledgedAt) events.push({ type: 'acknowledged', at: now, by: actor.person });
  events.push({ type: 'extension_requested', at: now, by: actor.person, newDeadline, reason: checked.text });
  return {
    ok: true,
    hazard: { ...hazard, acknowledgedAt: hazard.acknowledgedAt ?? now, extensionRequest: request },
    events,
  };
}

/**
 * A deadline a decision sets (驳回, 同意延期 on another date), from a form's date picker: a real date, not in the
 * past, not too far. A problem comes back for the field `deadline`.
 */
function checkDecisionDeadline(deadline: string, now: Date, calendar: Calendar): HazardResult | null {
  if (!isLocalDate(deadline)) return fail('invalid_input', `整改期限“${deadline}”不是有效日期，请选择日期`, 'deadline');
  const problem = calendar.checkDeadline(deadline, now);
  return problem ? fail('invalid_input', problem.message, 'deadline') : null;
}

/** The checks both extension decisions share: who decides, and whether a request still waits. */
function extensionDecisionError(hazard: Hazard, actor: Actor): HazardResult | null {
  const denied = forbidden(canDecideExtension(actor, hazard, hazard.extensionRequest?.requestedBy ?? null));
  if (denied) return denied;
  if (hazard.status === 'closed') return fail('already_done', CLOSED_MESSAGE);
  if (!hazard.extensionRequest) return fail('already_done', '该延期申请已处理（或没有待审批的延期申请）');
  return null;
}

/**
 * 同意延期: the deadline becomes the date asked — or, when that date has passed (or no longer moves the deadline),
 * the date the approver chose, which must then be given: a decision never sets a deadline in the past.
 */
function approveExtension(
  hazard: Hazard,
  chosen: string | undefined,
  actor: Actor,
  now: Date,
  calendar: Calendar,
): HazardResult {
  const error = extensionDecisionError(hazard, actor);
  if (error) return error;
  const request = hazard.extensionRequest!;
  let to: LocalDate = request.newDeadline;
  const date = chosen?.trim() ?? '';
  if (date !== '') {
    const problem = checkDecisionDeadline(date, now, calendar);
    if (problem) return problem;
    if (date <= hazard.deadline) {
      return fail('invalid_input', `新的整改期限须晚于当前期限 ${hazard.deadline}`, 'deadline');
    }
    to = date;
  } else {
    const why = extensionNeedsNewDate(hazard, now, calendar);
    if (why) return fail('invalid_input', `${why}，请选择新的整改期限后再点「同意延期」`, 'deadline');
  }
  return {
    ok: true,
    hazard: { ...hazard, deadline: to, deadlineSetAt: now, extensionRequest: null },
    events: [
      {
        type: 'extension_approved',
        at: now,
        by: eventActor(actor),
        from: hazard.deadline,
        to,
        ...(to !== request.newDeadline ? { requested: request.newDeadline } : {}),
      },
    ],
  };
}

function refuseExtension(hazard: Hazard, reason: string | undefined, actor: Actor, now: Date): HazardResult {
  const error = extensionDecisionError(hazard, actor);
  if (error) return error;
  const request = hazard.extensionRequest!;
  const checked = optionalText(reason, '理由', 'reason');
  if ('error' in checked) return checked.error;
  return {
    ok: true,
    hazard: { ...hazard, extensionRequest: null },
    events: [
      {
        type: 'extension_refused',
        at: now,
        by: eventActor(actor),
        requested: request.newDeadline,
        reason: checked.text,
      },
    ],
  };
}

/** The states in which a verifier can act; otherwise the matching error. */
function verificationStateError(hazard: Hazard): HazardResult | null {
  switch (hazard.status) {
    case 'closed':
      return fail('already_done', '该隐患已验收销号');
    case 'pending_delisting':
      return fail('already_done', DELISTING_MESSAGE);
    case 'rectifying':
      // After a rejection the old submission has been handled; before any submission there is nothing to verify.
      return hazard.rectifiedAt
        ? fail('already_done', '该次整改已被驳回，正在重新整改')
        : fail('wrong_state', '整改尚未提交，暂不能验收');
    case 'reported':
      return fail('wrong_state', '整改尚未提交，暂不能验收');
    case 'pending_verification':
      return null;
  }
}

function accept(hazard: Hazard, note: string | undefined, actor: Actor, now: Date): HazardResult {
  const denied = forbidden(canVerify(actor, hazard));
  if (denied) return denied;
  const stateError = verificationStateError(hazard);
  if (stateError) return stateError;
  // 第十八条: a suspended unit's rectification is accepted by the department's 复产验收, on the unit's application.
  if (hazard.suspended) {
    return fail(
      'wrong_state',
      hazard.resumptionRequest
        ? '该单位停产停业整改中，已申请复产：请由行业主管部门到现场复产验收（「复产验收通过」）'
        : '该单位停产停业整改中：须由单位申请复产，再由行业主管部门到现场复产验收，验收通过即销号',
    );
  }
  const checked = optionalText(note, '验收意见', 'note');
  if ('error' in checked) return checked.error;
  return acceptedNow(hazard, [{ type: 'accepted', at: now, by: eventActor(actor), note: checked.text }], actor, now);
}

/**
 * After an acceptance (验收通过 or 复产验收通过): a listed hazard waits for 摘牌 by its authority; any other closes
 * (销号), its supervision ended.
 */
function acceptedNow(hazard: Hazard, events: HazardEvent[], actor: Actor, now: Date): HazardResult {
  const base: Hazard = { ...hazard, suspended: false, resumptionRequest: null, extensionRequest: null };
  if (hazard.listing) return { ok: true, hazard: { ...base, status: 'pending_delisting' }, events };
  return closedNow(base, events, actor, now);
}

function closedNow(hazard: Hazard, events: HazardEvent[], actor: Actor, now: Date): HazardResult {
  const by = eventActor(actor);
  if (hazard.supervision !== 'none') events.push({ type: 'supervision_lifted', at: now, by, from: hazard.supervision });
  events.push({ type: 'closed', at: now, by });
  return {
    ok: true,
    hazard: {
      ...hazard,
      status: 'closed',
      supervision: 'none',
      closedAt: now,
      closedBy: actor.kind === 'person' ? actor.person : null,
    },
    events,
  };
}

/**
 * 驳回: back to rectifying, with a new deadline — the one chosen, or the days the unit had left when it submitted,
 * counted from now. The time the rectification waited for verification was the government's: the unit comes back
 * to the same time it had, never straight into the overdue steps of the old deadline.
 */
function reject(
  hazard: Hazard,
  reason: string,
  chosen: string | undefined,
  actor: Actor,
  now: Date,
  calendar: Calendar,
): HazardResult {
  const denied = forbidden(canVerify(actor, hazard));
  if (denied) return denied;
  const stateError = verificationStateError(hazard);
  if (stateError) return stateError;
  return sendBack(hazard, { reason, what: '驳回理由', chosen }, actor, now, calendar);
}

/**
 * Back to rectifying (驳回, 复产验收不通过), with a new deadline — the one chosen, or the days the unit had left when
 * it submitted, counted from now. An application to resume rested on the rectification sent back: the unit applies
 * again after the next one.
 */
function sendBack(
  hazard: Hazard,
  input: { reason: string; what: string; chosen: string | undefined; resumption?: true },
  actor: Actor,
  now: Date,
  calendar: Calendar,
): HazardResult {
  const checked = checkText(input.reason, input.what, 'reason', MAX_REASON_LENGTH);
  if ('error' in checked) return checked.error;
  const date = input.chosen?.trim() ?? '';
  if (date !== '') {
    const problem = checkDecisionDeadline(date, now, calendar);
    if (problem) return problem;
  }
  const deadline = date !== '' ? date : rejectionDeadline(hazard, now, calendar);
  return {
    ok: true,
    hazard: { ...hazard, status: 'rectifying', deadline, deadlineSetAt: now, resumptionRequest: null },
    events: [
      {
        type: 'rejected',
        at: now,
        by: eventActor(actor),
        reason: checked.text,
        deadline,
        previousDeadline: hazard.deadline,
        ...(input.resumption ? { resumption: true as const } : {}),
      },
    ],
  };
}

function comment(hazard: Hazard, text: string, actor: Actor, now: Date): HazardResult {
  const denied = forbidden(canComment(actor, hazard));
  if (denied) return denied;
  // After 销号 nobody is left to act on a remark.
  if (hazard.status === 'closed') return fail('already_done', CLOSED_MESSAGE);
  const checked = checkText(text, '督办意见', 'comment', MAX_REASON_LENGTH);
  if ('error' in checked) return checked.error;
  return { ok: true, hazard, events: [{ type: 'commented', at: now, by: eventActor(actor), text: checked.text }] };
}

function escalateSupervision(
  hazard: Hazard,
  level: Exclude<SupervisionLevel, 'none'>,
  reason: string | undefined,
  actor: Actor,
  now: Date,
): HazardResult {
  const denied = forbidden(canEscalateSupervision(actor, hazard));
  if (denied) return denied;
  if (hazard.status === 'closed') return fail('already_done', CLOSED_MESSAGE);
  if (level !== 'township' && level !== 'county') {
    return fail('invalid_input', '督办级别只能是乡镇（township）或县级（county）', 'level');
  }
  if (compareSupervision(hazard.supervision, level) >= 0) {
    return fail('already_done', `该隐患已是${SUPERVISION_LABELS[hazard.supervision]}`);
  }
  const trimmed = reason?.trim() ?? '';
  return {
    ok: true,
    hazard: { ...hazard, supervision: level },
    events: [
      {
        type: 'supervision_raised',
        at: now,
        by: eventActor(actor),
        from: hazard.supervision,
        to: level,
        reason: trimmed || null,
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 治: listing (挂牌督办 / 摘牌), suspension (停产停业) and resumption (复产)

/** An optional remark, trimmed, or an error when too long. */
function optionalText(
  value: string | undefined,
  what: string,
  field: string,
): { text: string | null } | { error: HazardResult } {
  const trimmed = value?.trim() ?? '';
  if (trimmed.length > MAX_REASON_LENGTH) {
    return {
      error: fail('invalid_input', `${what}最多 ${MAX_REASON_LENGTH} 个字，当前 ${trimmed.length} 个字`, field),
    };
  }
  return { text: trimmed || null };
}

const MAJOR_ONLY_LISTING = '只有重大事故隐患可以挂牌督办；一般隐患超期由督办提醒和逐级升级处理';

function list(hazard: Hazard, note: string | undefined, actor: Actor, now: Date): HazardResult {
  const decision = canList(actor, hazard);
  if (!decision.allowed) return fail('forbidden', decision.reason);
  if (hazard.status === 'closed') return fail('already_done', CLOSED_MESSAGE);
  if (hazard.listing) return fail('already_done', '该隐患已挂牌督办');
  if (hazard.grade !== 'major') return fail('invalid_input', MAJOR_ONLY_LISTING, 'level');
  if (hazard.status === 'pending_delisting') return fail('already_done', DELISTING_MESSAGE);
  const checked = optionalText(note, '挂牌意见', 'note');
  if ('error' in checked) return checked.error;
  const by = eventActor(actor) as PersonCode;
  return {
    ok: true,
    hazard: { ...hazard, listing: { authority: decision.authority, by, at: now } },
    events: [
      { type: 'listed', at: now, by, authority: formatListingAuthority(decision.authority), note: checked.text },
    ],
  };
}

function delist(hazard: Hazard, note: string | undefined, actor: Actor, now: Date): HazardResult {
  if (!hazard.listing) {
    const decision = canList(actor, hazard);
    if (!decision.allowed) return fail('forbidden', decision.reason);
    return fail('wrong_state', '该隐患未挂牌督办，无需摘牌');
  }
  const denied = forbidden(canDelist(actor, hazard, hazard.listing.authority));
  if (denied) return denied;
  if (hazard.status === 'closed') return fail('already_done', '该隐患已摘牌销号');
  if (hazard.status !== 'pending_delisting') {
    return fail('wrong_state', '整改尚未验收通过：须先由检查员验收（停产停业的由主管部门复产验收），再摘牌销号');
  }
  const checked = optionalText(note, '摘牌意见', 'note');
  if ('error' in checked) return checked.error;
  return closedNow(hazard, [{ type: 'delisted', at: now, by: eventActor(actor), note: checked.text }], actor, now);
}

/** The checks ordering and proposing share: a major hazard still open, not suspended yet. */
function suspensionStateError(hazard: Hazard): HazardResult | null {
  if (hazard.status === 'closed') return fail('already_done', CLOSED_MESSAGE);
  if (hazard.status === 'pending_delisting') return fail('already_done', DELISTING_MESSAGE);
  if (hazard.suspended) return fail('already_done', '已责令停产停业整改');
  if (hazard.grade !== 'major') return fail('invalid_input', '只有重大事故隐患可以责令停产停业整改', 'suspend');
  return null;
}

function orderSuspension(hazard: Hazard, reason: string | undefined, actor: Actor, now: Date): HazardResult {
  const denied = forbidden(canOrderSuspension(actor, hazard));
  if (denied) return denied;
  const stateError = suspensionStateError(hazard);
  if (stateError) return stateError;
  const checked = optionalText(reason, '理由', 'reason');
  if ('error' in checked) return checked.error;
  const proposal = hazard.suspensionProposal;
  return {
    ok: true,
    hazard: { ...hazard, suspended: true, suspensionProposal: null },
    events: [
      {
        type: 'suspended',
        at: now,
        by: eventActor(actor),
        reason: checked.text,
        ...(proposal ? { proposedBy: proposal.by } : {}),
      },
    ],
  };
}

function proposeSuspension(hazard: Hazard, reason: string | undefined, actor: Actor, now: Date): HazardResult {
  const denied = forbidden(canProposeSuspension(actor, hazard));
  if (denied) return denied;
  const stateError = suspensionStateError(hazard);
  if (stateError) return stateError;
  if (hazard.suspensionProposal) return fail('already_done', '已建议停产停业，等待行业主管部门确认');
  const checked = optionalText(reason, '理由', 'reason');
  if ('error' in checked) return checked.error;
  const by = eventActor(actor) as PersonCode;
  return {
    ok: true,
    hazard: { ...hazard, suspensionProposal: { by, at: now } },
    events: [{ type: 'suspension_proposed', at: now, by, reason: checked.text }],
  };
}

function declineSuspension(hazard: Hazard, reason: string | undefined, actor: Actor, now: Date): HazardResult {
  const denied = forbidden(canOrderSuspension(actor, hazard));
  if (denied) return denied;
  if (hazard.status === 'closed') return fail('already_done', CLOSED_MESSAGE);
  if (!hazard.suspensionProposal) return fail('already_done', '该停产停业建议已处理');
  const checked = optionalText(reason, '理由', 'reason');
  if ('error' in checked) return checked.error;
  return {
    ok: true,
    hazard: { ...hazard, suspensionProposal: null },
    events: [
      {
        type: 'suspension_declined',
        at: now,
        by: eventActor(actor),
        reason: checked.text,
        proposedBy: hazard.suspensionProposal.by,
      },
    ],
  };
}

const NO_APPLICATION =
  '单位尚未申请复产：复产须先由整改责任人或单位主要负责人、安全管理员在整改卡片上「申请复产」，再由行业主管部门到现场复产验收';

function requestResumption(hazard: Hazard, note: string | undefined, actor: Actor, now: Date): HazardResult {
  const denied = forbidden(canRectify(actor, hazard));
  if (denied) return denied;
  if (hazard.status === 'closed') return fail('already_done', CLOSED_MESSAGE);
  if (!hazard.suspended) return fail('already_done', '该单位未在停产停业整改中，无需申请复产');
  if (hazard.resumptionRequest) return fail('already_done', '已申请复产，等待行业主管部门复产验收');
  if (hazard.status !== 'pending_verification') {
    return fail('wrong_state', '请先完成整改并「提交整改」，再申请复产');
  }
  const checked = optionalText(note, '复产申请说明', 'note');
  if ('error' in checked) return checked.error;
  const by = eventActor(actor) as PersonCode;
  return {
    ok: true,
    hazard: { ...hazard, resumptionRequest: { by, at: now } },
    events: [{ type: 'resumption_requested', at: now, by, note: checked.text }],
  };
}

/** The checks both 复产验收 decisions share: who decides, whether the unit is suspended and has applied. */
function resumptionDecisionError(hazard: Hazard, actor: Actor): HazardResult | null {
  const denied = forbidden(canDecideResumption(actor, hazard));
  if (denied) return denied;
  if (hazard.status === 'closed') return fail('already_done', CLOSED_MESSAGE);
  if (!hazard.suspended) return fail('already_done', '已复产验收，停产停业已解除');
  if (!hazard.resumptionRequest) return fail('wrong_state', NO_APPLICATION);
  return null;
}

function acceptResumption(hazard: Hazard, note: string | undefined, actor: Actor, now: Date): HazardResult {
  const error = resumptionDecisionError(hazard, actor);
  if (error) return error;
  const checked = optionalText(note, '复产验收意见', 'note');
  if ('error' in checked) return checked.error;
  const by = eventActor(actor);
  return acceptedNow(
    hazard,
    [
      { type: 'resumption_accepted', at: now, by, note: checked.text },
      { type: 'suspension_lifted', at: now, by },
      { type: 'accepted', at: now, by, note: checked.text },
    ],
    actor,
    now,
  );
}

function rejectResumption(
  hazard: Hazard,
  reason: string,
  chosen: string | undefined,
  actor: Actor,
  now: Date,
  calendar: Calendar,
): HazardResult {
  const error = resumptionDecisionError(hazard, actor);
  if (error) return error;
  return sendBack(hazard, { reason, what: '复产验收不通过的理由', chosen, resumption: true }, actor, now, calendar);
}
