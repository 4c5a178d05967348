/**
 * From due steps to messages, with no I/O: who each step tells (through the chain of responsibility resolved for the
 * hazard's unit), what its card says, and how a batch's steps are bundled so that each person (and each township
 * group) gets one card for all of their steps in the batch.
 *
 * Kept whole because it is one pure pipeline over one type (PlannedStep): recipients and their fallbacks, the card,
 * the bundled messages (cards and SMS) and the step rows; each part reads what the one before it set.
 */
import { randomUUID } from 'node:crypto';
import type { PersonRecord } from '../../directory/lookup.js';
import {
  addCalendarDays,
  type Calendar,
  clockOfStep,
  compareSupervision,
  type DueStep,
  type EscalationPolicy,
  evaluateSteps,
  type Fallback,
  GRADE_LABELS,
  HAZARD_CLOCK_KINDS,
  isUnitSide,
  type Recipient,
  type ResolvedRecipients,
  ROLE_LABELS,
  resolveRecipients,
  stepCalendar,
  urgencyOf,
  verificationWait,
} from '../../domain/index.js';
import { type NewOutboxRow, type OutgoingMessage, sendRow, smsRow, type UrgentExtra } from '../../feishu/outbox.js';
import { type CardLinks, hazardPageUrl } from '../../hazards/cards/detail-link.js';
import type { SmsTemplateParams } from '../../sms/gateway.js';
import { renderSmsParams } from '../../sms/render.js';
import {
  buildReminderCard,
  buildReminderListCard,
  type ClockWait,
  type ReminderCardInput,
  type VerificationWait,
} from '../cards.js';
import { canReach, type ReachOptions, smsMobileOf, whyUnreachable } from '../reach.js';
import type { UnitResponsibility } from '../recipients.js';
import type { ScheduledHazard } from './sources.js';

/** A step as the sweep's answer lists it (`POST /api/admin/sweep`, logs, metrics). */
export interface SweptStep {
  hazard: string;
  step: string;
  key: string;
  label: string;
  channel: DueStep['channel'];
  to: { name: string; openId: string | null; sms?: true }[];
  /** The township group chat the step was @mentioned in, if any. */
  chatId: string | null;
  urgent: boolean;
  effects: string[];
  /** The step's roles nobody could be reached for, and whom it told instead. */
  fallbacks: SweptFallback[];
  /** False when nobody at all could be told: the step is recorded, and counted as undelivered, not sent. */
  delivered: boolean;
}

/** A fallback as the sweep's answer and the step row record it. */
export interface SweptFallback {
  role: Recipient;
  missing: { code: string; name: string; reason: string }[];
  toldRole: Recipient | null;
  told: { code: string; name: string }[];
}

/** How a card names why each person is told: the directory's role labels, and the parts people play on a hazard. */
export const RECIPIENT_LABELS: Record<Recipient, string> = {
  ...ROLE_LABELS,
  responsible: '整改责任人',
  reporter: '检查人员',
  inspectors: '属地检查人员',
};

/** A person as a step resolves them: `active` false for a deactivated one (named as not reached). */
export type StepPerson = PersonRecord & { active?: boolean };

/** What a hazard's steps need beyond its row: its unit's chain of responsibility and the people it names. */
export interface Resolved {
  unit: UnitResponsibility | undefined;
  /** The responsible person, deactivated or not (a deactivated one is not reached: the step falls back). */
  responsible: StepPerson | null;
  reporter: StepPerson | null;
}

/**
 * The people a step tells, once each however many of the step's roles they hold (the first role names them); a
 * role nobody reachable holds falls back up the chain of responsibility (domain/fallback-chain.ts).
 */
export function recipientsOf(
  step: Pick<DueStep, 'who'>,
  { unit, responsible, reporter }: Resolved,
  reach: ReachOptions = { sms: false },
): ResolvedRecipients<StepPerson> {
  const byRole: Record<Recipient, (StepPerson | null)[]> = {
    responsible: [responsible],
    reporter: [reporter],
    inspectors: unit?.inspectors ?? [],
    enterprise_principal: [unit?.principal ?? null],
    enterprise_safety_officer: [unit?.safetyOfficer ?? null],
    township_leader_in_charge: unit?.townshipLeaderInCharge ?? [],
    township_main_leader: unit?.townshipMainLeader ?? [],
    department_leader: unit?.departmentLeader ?? [],
    county_leader: unit?.countyLeaders ?? [],
    county_safety_office: unit?.countySafetyOffice ?? [],
  };
  return resolveRecipients<StepPerson>(step.who, {
    holdersOf: (role) => byRole[role].filter((p): p is StepPerson => p !== null),
    isReachable: (p) => canReach(p, reach),
    keyOf: (p) => p.code,
  });
}

/** How a card names a recipient: `李四（乡镇分管领导）`, or `李四（乡镇分管领导，代整改责任人）` after a fallback. */
export function recipientLabel(r: ResolvedRecipients<StepPerson>['recipients'][number]): string {
  const instead = r.insteadOf ? `，代${RECIPIENT_LABELS[r.insteadOf]}` : '';
  return `${r.person.name}（${RECIPIENT_LABELS[r.role]}${instead}）`;
}

/**
 * What a card says of a fallback, e.g. `整改责任人郭某尚未加入飞书，已改为通知乡镇分管领导王某，请其转告单位`: the people
 * told instead learn why it is them, and what the unit's side needs of them.
 */
export function fallbackNote(f: Fallback<StepPerson> | SweptFallback, reach: ReachOptions = { sms: false }): string {
  const role = RECIPIENT_LABELS[f.role];
  const why = (p: StepPerson | SweptFallback['missing'][number]) =>
    'reason' in p ? p.reason : whyUnreachable(p, reach);
  const missing = f.missing.length === 0 ? `${role}空缺` : f.missing.map((p) => `${role}${p.name}${why(p)}`).join('，');
  if (!f.toldRole) return `${missing}，上级也无人可通知，请管理员完善组织名录`;
  const told = `已改为通知${RECIPIENT_LABELS[f.toldRole]}${f.told.map((p) => p.name).join('、')}`;
  const relay = isUnitSide(f.role) && !isUnitSide(f.toldRole) ? '，请其转告单位' : '';
  return `${missing}，${told}${relay}`;
}

/** A fallback as recorded (the step row, the sweep's answer). */
export function sweptFallback(f: Fallback<StepPerson>, reach: ReachOptions = { sms: false }): SweptFallback {
  return {
    role: f.role,
    missing: f.missing.map((p) => ({ code: p.code, name: p.name, reason: whyUnreachable(p, reach) })),
    toldRole: f.toldRole,
    told: f.told.map((p) => ({ code: p.code, name: p.name })),
  };
}

/** A due step of one hazard, with whom it tells and what its card says. */
export interface PlannedStep {
  hazard: ScheduledHazard;
  due: DueStep;
  swept: SweptStep;
  /** What the step's card says; rendered once the batch knows who gets which steps. */
  card: Omit<ReminderCardInput, 'notified'>;
  /** Who is told, by role: named on the step's own card (a list card does not name them). */
  recipients: ResolvedRecipients<StepPerson>['recipients'];
  /** The step's roles nobody reachable holds, and whom it told instead. */
  fallbacks: Fallback<StepPerson>[];
  /** open_ids told on Feishu. */
  openIds: string[];
  /** Recipients outside Feishu told by SMS (an SMS gateway is configured and the directory has their mobile). */
  smsTo: { code: string; name: string; phone: string }[];
  /** People the step addressed whom the bot cannot reach (told of through a fallback). */
  unreachable: number;
}

/** What the steps of one batch are worked out against. */
export interface PlanContext {
  policy: EscalationPolicy;
  calendar: Calendar;
  at: Date;
  /** How people can be reached (with an SMS gateway, people outside Feishu get an SMS). */
  reach?: ReachOptions;
  /** Where the web view is: 查看详情 on the cards; undefined = no web view, no links. */
  links: CardLinks;
}

/** The hazards that have steps due at `context.at`, each with its due steps (not yet resolved to people). */
export function dueStepsOf(hazards: ScheduledHazard[], context: PlanContext) {
  const out: { hazard: ScheduledHazard; due: DueStep[] }[] = [];
  for (const hazard of hazards) {
    const due = evaluateSteps(hazard, context.policy, context.at, context.calendar, hazard.sent);
    if (due.length > 0) out.push({ hazard, due });
  }
  return out;
}

/** Who a step reaches for one (unit, responsible, reporter): the same for every hazard of a unit with those people. */
interface StepAudience {
  recipients: ResolvedRecipients<StepPerson>['recipients'];
  fallbacks: Fallback<StepPerson>[];
  openIds: string[];
  smsTo: { code: string; name: string; phone: string }[];
  unreachable: number;
  fallbackNotes: string[];
  sweptFallbacks: SweptFallback[];
  to: SweptStep['to'];
}

function audienceOf(due: DueStep, resolved: Resolved, reach: ReachOptions): StepAudience {
  const { recipients, fallbacks } = recipientsOf(due, resolved, reach);
  const openIds = recipients.flatMap((r) => (r.person.openId ? [r.person.openId] : []));
  const smsTo = recipients.flatMap(({ person }) => {
    const phone = smsMobileOf(person, reach);
    return phone ? [{ code: person.code, name: person.name, phone }] : [];
  });
  return {
    recipients,
    fallbacks,
    openIds,
    smsTo,
    unreachable: fallbacks.reduce((n, f) => n + f.missing.length, 0),
    fallbackNotes: fallbacks.map((f) => fallbackNote(f, reach)),
    sweptFallbacks: fallbacks.map((f) => sweptFallback(f, reach)),
    to: recipients.map(({ person }) =>
      person.openId ? { name: person.name, openId: person.openId } : { name: person.name, openId: null, sms: true },
    ),
  };
}

/**
 * Every due step planned: its recipients (through `resolve`), its card and its line in the sweep's answer. A batch
 * holds the hazards of few units, so who a step reaches is worked out once per (step, unit, responsible, reporter)
 * and shared (read-only) by the hazards alike — in a million-hazard sweep that was most of the planning's CPU.
 */
export function planSteps(
  withDue: { hazard: ScheduledHazard; due: DueStep[] }[],
  resolve: (hazard: ScheduledHazard) => Resolved,
  context: Pick<PlanContext, 'calendar' | 'at' | 'reach' | 'links'>,
): PlannedStep[] {
  const today = context.calendar.localDate(context.at);
  const reach = context.reach ?? { sms: false };
  // The resolved unit and people are the caches' own objects, so identity is a sound key.
  const audiences = new Map<string, Map<unknown, Map<unknown, Map<unknown, StepAudience>>>>();
  const audience = (due: DueStep, resolved: Resolved): StepAudience => {
    const byUnit = getOrSet(audiences, due.stepId, () => new Map());
    const byResponsible = getOrSet(byUnit, resolved.unit, () => new Map());
    const byReporter = getOrSet(byResponsible, resolved.responsible, () => new Map());
    return getOrSet(byReporter, resolved.reporter, () => audienceOf(due, resolved, reach));
  };
  const deadlines = new Map<string, number>();
  const deadlineMs = (deadline: string) =>
    getOrSet(deadlines, deadline, () => context.calendar.deadlineInstant(deadline).getTime());
  const planned: PlannedStep[] = [];
  for (const { hazard, due } of withDue) {
    const resolved = resolve(hazard);
    for (const step of due) {
      planned.push(planStep(hazard, step, resolved, audience(step, resolved), context, today, deadlineMs));
    }
  }
  return planned;
}

function getOrSet<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/** A 复查 step's wait (the verifier is the reporting inspector), or undefined for every other step. */
function verificationOf(
  hazard: ScheduledHazard,
  due: DueStep,
  resolved: Resolved,
  { at, calendar }: Pick<PlanContext, 'at' | 'calendar'>,
): VerificationWait | undefined {
  const wait = verificationWait(due.step, calendar, hazard.rectifiedAt, at);
  if (!wait) return undefined;
  return {
    submittedOn: wait.submittedOn,
    waitedDays: wait.days,
    dayUnit: wait.workingDays ? '个工作日' : '天',
    verifierName: resolved.reporter?.name ?? null,
    toVerifier: due.who.includes('reporter') || due.who.includes('inspectors'),
  };
}

/** A clock step's duty and due date (治理方案 …), or undefined for every other step. */
function clockWaitOf(
  hazard: ScheduledHazard,
  due: DueStep,
  { at, calendar }: Pick<PlanContext, 'at' | 'calendar'>,
): ClockWait | undefined {
  const kind = clockOfStep(due.step.when);
  const clock = kind ? hazard.clocks?.find((c) => c.kind === kind) : undefined;
  if (!kind || !clock) return undefined;
  const dayCalendar = stepCalendar(due.step, calendar);
  const today = dayCalendar.localDate(at);
  const passed = at.getTime() >= dayCalendar.endOfLocalDay(clock.due).getTime();
  const yesterday = addCalendarDays(today, -1);
  return {
    label: HAZARD_CLOCK_KINDS[kind].label,
    due: clock.due,
    daysLeft: passed ? null : Math.max(0, dayCalendar.countDays(today, clock.due)),
    overdueDays: passed ? Math.max(0, dayCalendar.countDays(clock.due, yesterday)) : null,
    dayUnit: dayCalendar.settings.dayCounting === 'working' ? '个工作日' : '天',
    note: HAZARD_CLOCK_KINDS[kind].note,
    dueName: HAZARD_CLOCK_KINDS[kind].dueName,
    undone: HAZARD_CLOCK_KINDS[kind].undone,
    ask: HAZARD_CLOCK_KINDS[kind].ask,
  };
}

function planStep(
  hazard: ScheduledHazard,
  due: DueStep,
  resolved: Resolved,
  audience: StepAudience,
  context: Pick<PlanContext, 'at' | 'calendar' | 'links'>,
  today: string,
  deadlineMs: (deadline: string) => number,
): PlannedStep {
  const { recipients, fallbacks, openIds, smsTo } = audience;
  const unit = resolved.unit;
  const mentions = due.channel !== 'card' && unit?.chatId && openIds.length > 0 ? unit.chatId : null;
  const verification = verificationOf(hazard, due, resolved, context);
  const clock = clockWaitOf(hazard, due, context);
  // A 复查 card speaks of the wait for verification, not of the deadline (the unit's side is done); a clock's card
  // of its own duty.
  const overdueMs = verification || clock ? null : context.at.getTime() - deadlineMs(hazard.deadline);
  const label = due.step.label ?? due.stepId;
  const detailUrl = hazardPageUrl(context.links, hazard.code);
  return {
    hazard,
    due,
    openIds,
    smsTo,
    recipients,
    fallbacks,
    unreachable: audience.unreachable,
    card: {
      hazardCode: hazard.code,
      enterpriseName: unit?.enterpriseName ?? '',
      description: hazard.description,
      deadline: hazard.deadline,
      gradeLabel: GRADE_LABELS[hazard.grade] ?? hazard.grade,
      overdueDays: overdueMs !== null && overdueMs >= 0 ? Math.floor(overdueMs / 86_400_000) : null,
      daysLeft:
        overdueMs !== null && overdueMs < 0
          ? Math.round((Date.parse(hazard.deadline) - Date.parse(today)) / 86_400_000)
          : null,
      stepLabel: label,
      channel: due.channel,
      raisesSupervision: due.effects.some((e) => e.type === 'raise_supervision' && e.level === 'county'),
      responsibleName: resolved.responsible?.name ?? null,
      ...(fallbacks.length > 0 ? { fallbackNotes: audience.fallbackNotes } : {}),
      ...(verification ? { verification } : {}),
      ...(clock ? { clock } : {}),
      ...(detailUrl ? { detailUrl } : {}),
    },
    swept: {
      hazard: hazard.code,
      step: due.stepId,
      key: due.key,
      label,
      channel: due.channel,
      to: audience.to,
      chatId: mentions,
      urgent: urgencyOf(due.channel).urgent,
      effects: due.effects.map((e) => `${e.type}:${e.level}`),
      fallbacks: audience.sweptFallbacks,
      delivered: openIds.length + smsTo.length > 0,
    },
  };
}

/** A message ready for the outbox, its row id chosen here so that the step rows can name it. */
export interface ComposedMessage {
  id: string;
  message: OutgoingMessage | SmsMessage;
  steps: PlannedStep[];
}

/** An SMS to someone outside Feishu: the values of the county's registered template (src/sms/render.ts). */
export interface SmsMessage {
  to: { mobile: string };
  msgType: 'sms';
  content: SmsTemplateParams;
  topic: string;
  urgentOpenIds?: undefined;
}

/** What an SMS asks of its reader for this step: short, it fills one slot of the template. */
function smsAsk(card: PlannedStep['card']): string {
  if (card.clock)
    return card.clock.overdueDays === null
      ? `${card.clock.dueName}${card.clock.due}`
      : `${card.clock.label}已逾期，${card.clock.ask}`;
  const v = card.verification;
  if (v) return `整改已提交${v.waitedDays}${v.dayUnit}，请尽快复查`;
  if (card.overdueDays !== null)
    return card.overdueDays === 0 ? '已超期，请立即整改' : `已超期${card.overdueDays}天，请立即整改`;
  if (card.daysLeft !== null) return `距期限${card.daysLeft}天，请按期整改`;
  return '请确认接收并按措施整改';
}

/**
 * The SMS of one person's steps in a batch: the most pressing hazard's number, unit and deadline, and how many more
 * there are. They answer through the township's inspectors (the template says so): an SMS has no buttons.
 */
function smsOf(phone: string, list: PlannedStep[]): SmsMessage {
  const [first] = [...list].sort(byPressure) as [PlannedStep];
  const more = list.length > 1 ? `等${list.length}项` : '';
  return {
    to: { mobile: phone },
    msgType: 'sms',
    content: renderSmsParams({
      hazardCode: first.card.hazardCode,
      unitName: first.card.enterpriseName,
      deadline: first.card.deadline,
      ask: `${more}${smsAsk(first.card)}`,
      link: null,
    }),
    topic: list.length === 1 ? `reminder:${first.card.hazardCode}:${first.due.key}:sms` : `reminders:sms`,
  };
}

/** Most pressing first: overdue longest, then nearest deadline. */
function byPressure(a: PlannedStep, b: PlannedStep): number {
  const overdue = (p: PlannedStep) => p.card.overdueDays ?? -1 - (p.card.daysLeft ?? 0);
  // Codes are ASCII (YH-2026-0000001): a plain comparison, not localeCompare, which is slow at this volume.
  const x = a.card.hazardCode;
  const y = b.card.hazardCode;
  return overdue(b) - overdue(a) || (x < y ? -1 : x > y ? 1 : 0);
}

/**
 * The batch's messages: each person (and each township group) gets one card for all of their steps in the batch
 * — the step's own card when there is one, a list card when there are several — buzzed (加急) when any step is
 * urgent. A batch holds the hazards of few units (windows are regrouped by unit), so this is what keeps a backlog
 * from becoming a flood.
 */
export function composeMessages(steps: PlannedStep[], at: string, newId: () => string = randomUUID): ComposedMessage[] {
  const direct = new Map<string, PlannedStep[]>();
  const bySms = new Map<string, PlannedStep[]>();
  const groups = new Map<string, { steps: PlannedStep[]; mention: Set<string> }>();
  for (const step of steps) {
    for (const openId of step.openIds) {
      const list = direct.get(openId);
      if (list) list.push(step);
      else direct.set(openId, [step]);
    }
    for (const { phone } of step.smsTo) {
      const list = bySms.get(phone);
      if (list) list.push(step);
      else bySms.set(phone, [step]);
    }
    const chatId = step.swept.chatId;
    if (chatId) {
      const group = groups.get(chatId) ?? { steps: [], mention: new Set<string>() };
      group.steps.push(step);
      for (const openId of step.openIds) group.mention.add(openId);
      groups.set(chatId, group);
    }
  }
  const topicOf = (list: PlannedStep[]) =>
    list.length === 1 ? `reminder:${list[0]!.card.hazardCode}:${list[0]!.due.key}` : `reminders:${at}`;
  const render = (list: PlannedStep[], mentionOpenIds?: string[]) => {
    const mention = mentionOpenIds ? { mentionOpenIds } : {};
    if (list.length === 1) {
      const [step] = list as [PlannedStep];
      const notified = step.recipients.map(recipientLabel);
      return buildReminderCard({ ...step.card, notified, ...mention });
    }
    return buildReminderListCard({ items: [...list].sort(byPressure).map((p) => p.card), ...mention });
  };
  const composed: ComposedMessage[] = [];
  for (const [openId, list] of direct) {
    const urgent = list.some((p) => p.swept.urgent);
    composed.push({
      id: newId(),
      steps: list,
      message: {
        to: { openId },
        msgType: 'interactive',
        content: render(list),
        ...(urgent ? { urgentOpenIds: [openId], ...beyondApp(list) } : {}),
        topic: topicOf(list),
      },
    });
  }
  for (const [chatId, group] of groups) {
    composed.push({
      id: newId(),
      steps: group.steps,
      message: {
        to: { chatId },
        msgType: 'interactive',
        content: render(group.steps, [...group.mention]),
        topic: topicOf(group.steps),
      },
    });
  }
  for (const [phone, list] of bySms) composed.push({ id: newId(), steps: list, message: smsOf(phone, list) });
  return composed;
}

/**
 * SMS or phone 加急 on top of in-app, when a step of the list asks for it (phone, the louder, wins), with the steps
 * that asked: the sender names them when the daily budget makes it fall back to in-app.
 */
function beyondApp(list: PlannedStep[]): { urgentExtra?: UrgentExtra } {
  const asking = (channel: 'sms' | 'phone') => list.filter((p) => urgencyOf(p.swept.channel).beyondApp === channel);
  const phone = asking('phone');
  const chosen =
    phone.length > 0 ? { channel: 'phone' as const, steps: phone } : { channel: 'sms' as const, steps: asking('sms') };
  if (chosen.steps.length === 0) return {};
  const steps = chosen.steps.map((p) => ({ hazard: p.swept.hazard, step: p.swept.step }));
  return { urgentExtra: { channel: chosen.channel, steps } };
}

/** The outbox rows of the composed messages, under the ids the step rows name. */
export function outboxRows(composed: ComposedMessage[]): NewOutboxRow[] {
  return composed.map(({ id, message }) =>
    'mobile' in message.to
      ? smsRow({ phone: message.to.mobile, params: message.content, topic: message.topic }, id)
      : sendRow(message as OutgoingMessage, id),
  );
}

/**
 * The step rows of `steps`, each naming the messages that carry it, grouped by (step key, messages, fallbacks) as
 * JSON `[{k: key, o: outbox ids, h: hazard ids, f?: fallbacks, d?: false when undelivered}]`: a batch's steps share
 * a few keys and messages, and a big sweep would otherwise send a hundred bytes of JSON per step row. Read back by
 * write.ts's `stepRowsFrom`.
 */
export function stepRows(steps: PlannedStep[], composed: ComposedMessage[]): string {
  const carriers = new Map<PlannedStep, string[]>();
  for (const { id, steps: carried } of composed) {
    for (const step of carried) {
      const ids = carriers.get(step);
      if (ids) ids.push(id);
      else carriers.set(step, [id]);
    }
  }
  const groups = new Map<string, { k: string; o: string[]; h: number[]; f?: SweptFallback[]; d?: false }>();
  // Steps alike share one fallbacks array (planSteps): serialised once.
  const serialised = new Map<SweptFallback[], string>();
  for (const p of steps) {
    const o = carriers.get(p) ?? [];
    // The hazards of one unit share their fallbacks (its empty roles), so they still group.
    const { fallbacks, delivered } = p.swept;
    const f = fallbacks.length > 0 ? getOrSet(serialised, fallbacks, () => JSON.stringify(fallbacks)) : '';
    const group = `${p.due.key} ${o.join(',')} ${delivered ? '' : 'x'}${f}`;
    const found = groups.get(group);
    if (found) found.h.push(p.hazard.id);
    else
      groups.set(group, {
        k: p.due.key,
        o,
        h: [p.hazard.id],
        ...(f ? { f: fallbacks } : {}),
        ...(delivered ? {} : { d: false as const }),
      });
  }
  return JSON.stringify([...groups.values()]);
}

/** The supervision raises a step asks for that would change the hazard as read (a level still lower). */
export function effectsToApply(step: PlannedStep): { level: 'township' | 'county' }[] {
  return step.due.effects.filter(
    (e) => e.type === 'raise_supervision' && compareSupervision(step.hazard.supervision, e.level) < 0,
  );
}
