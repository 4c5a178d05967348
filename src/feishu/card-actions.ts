/**
 * The chat boundary's vocabulary: every card button value the bot emits and every form field name its cards carry,
 * as one schema. Card builders make values with `cardValue` and name fields with the constants below, so a typo is a
 * compile error; the chat router reads clicks with `parseCardActionValue`, so a value that does not fit (a card from
 * an older release, a forged click) is refused before any handler sees it.
 *
 * Cards already sent keep their values for weeks, and interface.md fixes the report form's field names: extend these
 * names, never rename them. Nothing here imports a feature, so features (card builders) and chat (the router) both can.
 */
import { z } from 'zod';
import { PLAN_FIELDS } from '../domain/governance-plan.js';
import { INSPECTION_KINDS } from '../domain/inspection.js';

/** The report form's fields (interface.md, plus 定责任人 `responsible` and the governance plan's funds/contingency). */
export const REPORT_FORM_FIELDS = [
  'enterprise',
  'sector',
  'level',
  'description',
  'location',
  'measures',
  'standard',
  'deadline',
  'responsible',
  'suspend',
  'basis',
  /** 依据条款 其他: the clause typed when `basis` is `other` (the pick list has no such clause). */
  'basis_other',
  'funds',
  'contingency',
] as const;
export type ReportFormField = (typeof REPORT_FORM_FIELDS)[number];

/** The inspection form's fields (interface.md "Inspections, checklists and plans"). */
export const INSPECTION_FORM_FIELDS = ['enterprise', 'kind', 'checklist', 'companions', 'date'] as const;
export type InspectionFormField = (typeof INSPECTION_FORM_FIELDS)[number];
/** The checklist card's free text; each item's field is `item_<code>` (domain/inspection.ts itemField). */
export const CHECKLIST_CARD_FIELDS = ['findings'] as const;

/** The hazard lists a button can ask for: 我的 shows `open`; the digest's buttons the others. */
export const LIST_FILTERS = ['open', 'overdue', 'due_soon', 'new'] as const;
export type ListFilter = (typeof LIST_FILTERS)[number];

const hazardCode = z.string().min(1).max(40);
const draft = z.int().positive();
const withCode = <A extends string>(action: A) => z.object({ action: z.literal(action), code: hazardCode });
const withDraft = <A extends string>(action: A) => z.object({ action: z.literal(action), draft });
const withTip = <A extends string>(action: A) =>
  z.object({ action: z.literal(action), code: z.string().min(1).max(40) });

/**
 * What the inspection form chose, carried by the buttons of the cards that follow it (which unit, which checklist)
 * so that no draft is kept: every value is checked again, and the clicker's rights with it, when it is used.
 */
const inspectionChoices = {
  kind: z.enum(INSPECTION_KINDS),
  checklist: z.string().min(1).max(64).optional(),
  /** 同行检查人, as open_ids. */
  companions: z.array(z.string().min(1).max(64)).max(20),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
};
const enterpriseCode = z.string().min(1).max(64);
const inspectionPage = { inspection: z.int().positive(), page: z.int().nonnegative().max(200) };

export const cardActionValueSchema = z.discriminatedUnion('action', [
  // The hazard's living card (hazards/cards/hazard-card.ts), and a tap on a listed hazard or 查看详情.
  withCode('hazard.show'),
  withCode('hazard.acknowledge'),
  withCode('hazard.submitRectification'),
  withCode('hazard.requestExtension'),
  withCode('hazard.accept'),
  withCode('hazard.reject'),
  withCode('hazard.approveExtension'),
  withCode('hazard.refuseExtension'),
  withCode('hazard.comment'),
  // 治: 挂牌督办 / 摘牌, 责令停产停业 / 不同意停产, 申请复产, 复产验收通过 / 不通过.
  withCode('hazard.list'),
  withCode('hazard.delist'),
  withCode('hazard.orderSuspension'),
  withCode('hazard.declineSuspension'),
  withCode('hazard.requestResumption'),
  withCode('hazard.acceptResumption'),
  withCode('hazard.rejectResumption'),
  // A major hazard's 治理方案: the unit's form, the department's 通过 / 退回 (hazards/cards/plan-cards.ts).
  withCode('plan.submit'),
  z.object({ action: z.literal('plan.accept'), code: hazardCode, version: z.int().positive() }),
  z.object({ action: z.literal('plan.return'), code: hazardCode, version: z.int().positive() }),
  // The report form and what follows it (hazards/cards/report-form.ts).
  withDraft('report.submit'),
  withDraft('report.open'),
  withDraft('report.newUnit'),
  z.object({ action: z.literal('report.pick'), draft, enterprise: z.string().min(1) }),
  // 检查: the inspection form, the unit and checklist picks, the checklist card's pages (inspections/cards).
  z.object({ action: z.literal('inspection.start') }),
  z.object({ action: z.literal('inspection.pickUnit'), enterprise: enterpriseCode, ...inspectionChoices }),
  z.object({ action: z.literal('inspection.newUnit'), name: z.string().min(1).max(100), ...inspectionChoices }),
  z.object({
    action: z.literal('inspection.pickChecklist'),
    enterprise: enterpriseCode,
    ...inspectionChoices,
    checklist: z.string().min(1).max(64),
  }),
  z.object({ action: z.literal('inspection.next'), ...inspectionPage }),
  z.object({ action: z.literal('inspection.submit'), ...inspectionPage }),
  // Lists: 下一页 on a list card, and the digest's list buttons (ledger/cards, reminders/cards.ts).
  z.object({
    action: z.literal('ledger_page'),
    filter: z.enum(LIST_FILTERS),
    cursor: z.string().min(1),
    page: z.int().positive(),
    scope: z.string().optional(),
  }),
  z.object({ action: z.literal('list'), filter: z.enum(LIST_FILTERS), scope: z.string().optional() }),
  // 群众举报: the handlers' card (tips/cards.ts) — 受理, 不予受理 (its form, then the reason), 属实, 不属实 (then a note).
  withTip('tip.accept'),
  withTip('tip.startDecline'),
  withTip('tip.decline'),
  withTip('tip.confirm'),
  withTip('tip.startUnfounded'),
  withTip('tip.unfounded'),
  withTip('tip.startReward'),
  withTip('tip.reward'),
  // 确认 on a unit's 统计分析表 card (ledger/cards/statistics-duty-card.ts).
  z.object({
    action: z.literal('statistics.confirm'),
    unit: enterpriseCode,
    period: z.string().regex(/^\d{4}(Q[1-4])?$/),
  }),
]);

export type CardActionValue = z.infer<typeof cardActionValueSchema>;
export type CardActionName = CardActionValue['action'];
type CardActionValues = { [V in CardActionValue as V['action']]: V };
/** The value of action `A` (an indexed type rather than Extract, so that handlers of several actions type-check). */
export type CardActionValueOf<A extends CardActionName> = CardActionValues[A];

/** A button's callback value, checked against the schema at compile time. */
export function cardValue<A extends CardActionName>(
  action: A,
  fields: Omit<CardActionValueOf<A>, 'action'>,
): CardActionValueOf<A> {
  return { action, ...fields } as CardActionValueOf<A>;
}

/** The value of a click, or null when it is no value this bot's cards carry. */
export function parseCardActionValue(raw: unknown): CardActionValue | null {
  const parsed = cardActionValueSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** The fields of the form each submit button sends (besides its value). */
export const FORM_FIELDS = {
  'hazard.submitRectification': ['rectification'],
  'hazard.requestExtension': ['new_deadline', 'extension_reason'],
  // `deadline`: the new deadline a rejection sets; `approved_deadline`: the date an approver sets when the one asked
  // for has passed. Both optional: left empty, the rejection's default applies and the approval takes the date asked.
  'hazard.reject': ['reject_reason', 'deadline'],
  'hazard.approveExtension': ['decision_reason', 'approved_deadline'],
  'hazard.refuseExtension': ['decision_reason', 'approved_deadline'],
  'hazard.comment': ['comment'],
  'hazard.orderSuspension': ['suspension_reason'],
  'hazard.declineSuspension': ['suspension_reason'],
  // `deadline`: the new deadline when 复产验收 fails (optional, as for 驳回).
  'hazard.acceptResumption': ['resumption_reason', 'deadline'],
  'hazard.rejectResumption': ['resumption_reason', 'deadline'],
  'report.submit': REPORT_FORM_FIELDS,
  'plan.submit': PLAN_FIELDS,
  'plan.accept': ['reason'],
  'plan.return': ['reason'],
  'report.newUnit': ['township'],
  'inspection.start': INSPECTION_FORM_FIELDS,
  'inspection.newUnit': ['township'],
  // Besides `findings`, each item's `item_<code>`: read by prefix, their names come from the checklist.
  'inspection.next': CHECKLIST_CARD_FIELDS,
  'inspection.submit': CHECKLIST_CARD_FIELDS,
  'tip.decline': ['decline_reason', 'duplicate_of', 'forwarded_to'],
  'tip.unfounded': ['note'],
  'tip.reward': ['amount', 'decided_on', 'paid', 'paid_on'],
} as const satisfies Partial<Record<CardActionName, readonly string[]>>;

type ActionWithForm = keyof typeof FORM_FIELDS;
/** The form field names a submit button of `A` sends. */
export type FormFieldOf<A extends CardActionName> = A extends ActionWithForm ? (typeof FORM_FIELDS)[A][number] : never;
/** Every form field name of the hazard's living card. */
export type HazardFormField = FormFieldOf<Extract<ActionWithForm, `hazard.${string}`>>;
