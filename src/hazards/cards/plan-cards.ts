/**
 * The major hazard's 治理方案 cards (JSON 2.0): the unit's form (eight parts, field names fixed: domain/governance-plan.ts
 * PLAN_FIELDS), the supervising department's review card (通过 / 退回 with a reason), and the short answers after them.
 * Values and field names: feishu/card-actions.ts (plan.submit, plan.accept, plan.return).
 */
import {
  PLAN_FIELD_LABELS,
  PLAN_FIELD_LIMITS,
  PLAN_FIELDS,
  PLAN_REASON_LIMIT,
  type PlanField,
  type PlanParts,
} from '../../domain/index.js';
import { cardValue, type FormFieldOf } from '../../feishu/card-actions.js';

const plain = (content: string) => ({ tag: 'plain_text', content });
const md = (text: string) => text.replace(/[<>*_~`[\]]/g, (c) => `\\${c}`);

export interface PlanFormCardInput {
  code: string;
  unitName: string;
  description: string;
  /** The plan's due date (its clock), and what the card says of it. */
  due: string | null;
  dueNote: string;
  /** What to show in the fields: typed before, or the returned version's text. */
  values: Partial<PlanParts>;
  /** Problems beside their fields. */
  errors?: Partial<Record<PlanField, string>>;
  /** The department's reason, when the plan came back. */
  returned?: { reason: string; by: string; version: number };
}

export function buildPlanFormCard(input: PlanFormCardInput): object {
  const errors = input.errors ?? {};
  const hasErrors = Object.keys(errors).length > 0;
  const fields: object[] = [];
  for (const name of PLAN_FIELDS) {
    const value = input.values[name];
    fields.push({
      tag: 'input',
      name: name satisfies FormFieldOf<'plan.submit'>,
      label: plain(`${PLAN_FIELD_LABELS[name]} *`),
      placeholder: plain(`请填写${PLAN_FIELD_LABELS[name]}（${PLAN_FIELD_LIMITS[name]} 字以内）`),
      ...(value ? { default_value: value } : {}),
      max_length: PLAN_FIELD_LIMITS[name],
      input_type: 'multiline_text',
      rows: 3,
    });
    const message = errors[name];
    if (message) fields.push({ tag: 'markdown', content: `<font color='red'>⚠ ${md(message)}</font>` });
  }
  fields.push({
    tag: 'button',
    name: 'submit',
    text: plain('提交治理方案'),
    type: 'primary_filled',
    form_action_type: 'submit',
    behaviors: [{ type: 'callback', value: cardValue('plan.submit', { code: input.code }) }],
  });
  const intro = [
    `**${input.code}**　${md(input.unitName)}`,
    `**隐患描述**：${md(input.description)}`,
    '依据《安全生产事故隐患排查治理暂行规定》第十五条，重大事故隐患由生产经营单位主要负责人组织制定并实施治理方案。请填写以下各项（均为必填）后提交，由行业主管部门审核。',
    ...(input.due ? [`**提交期限**：${input.due}（${input.dueNote}）`] : []),
  ];
  const returned = input.returned
    ? [
        {
          tag: 'markdown',
          content: `<font color='orange'>**第 ${input.returned.version} 版已被${md(input.returned.by)}退回**：${md(input.returned.reason)}</font>\n已填入上次提交的内容，请修改后重新提交。`,
        },
      ]
    : [];
  const title = input.returned ? `治理方案被退回：${input.code}` : `请提交治理方案：${input.code}`;
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: title } },
    header: { title: plain(title), template: hasErrors || input.returned ? 'orange' : 'red' },
    body: {
      elements: [
        ...(hasErrors ? [{ tag: 'markdown', content: "<font color='red'>**请补充标红的内容后重新提交**</font>" }] : []),
        ...returned,
        { tag: 'markdown', content: intro.join('\n') },
        { tag: 'form', name: 'plan', elements: fields },
      ],
    },
  };
}

export interface PlanReviewCardInput {
  code: string;
  unitName: string;
  version: number;
  parts: PlanParts;
  submittedBy: string;
  submittedAt: string;
  due: string | null;
  /** The reason typed, kept when a 退回 without one is refused. */
  reason?: string;
  reasonError?: string;
}

/** The department's card: the plan, a reason field and 通过 / 退回. */
export function buildPlanReviewCard(input: PlanReviewCardInput): object {
  const title = `审核治理方案：${input.code}`;
  const button = (action: 'plan.accept' | 'plan.return', text: string, type: string) => ({
    tag: 'button',
    name: action === 'plan.accept' ? 'accept' : 'return',
    text: plain(text),
    type,
    form_action_type: 'submit',
    behaviors: [{ type: 'callback', value: cardValue(action, { code: input.code, version: input.version }) }],
  });
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: title } },
    header: { title: plain(title), template: 'orange' },
    body: {
      elements: [
        {
          tag: 'markdown',
          content: [
            `**${input.code}**　${md(input.unitName)}　第 ${input.version} 版`,
            `**提交人**：${md(input.submittedBy)}　**提交时间**：${input.submittedAt}`,
            ...(input.due ? [`**提交期限**：${input.due}`] : []),
          ].join('\n'),
        },
        ...planSections(input.parts),
        {
          tag: 'form',
          name: 'plan_review',
          elements: [
            {
              tag: 'input',
              name: 'reason' satisfies FormFieldOf<'plan.return'>,
              label: plain('退回理由（退回时必填）'),
              placeholder: plain('说明需要修改之处'),
              max_length: PLAN_REASON_LIMIT,
              input_type: 'multiline_text',
              rows: 2,
              ...(input.reason ? { default_value: input.reason } : {}),
            },
            ...(input.reasonError
              ? [{ tag: 'markdown', content: `<font color='red'>⚠ ${md(input.reasonError)}</font>` }]
              : []),
            {
              tag: 'column_set',
              columns: [
                { tag: 'column', elements: [button('plan.accept', '通过', 'primary_filled')] },
                { tag: 'column', elements: [button('plan.return', '退回', 'danger')] },
              ],
            },
          ],
        },
      ],
    },
  };
}

/** The plan's parts, one markdown block each. */
export function planSections(parts: Partial<PlanParts>): object[] {
  return PLAN_FIELDS.map((name) => ({
    tag: 'markdown',
    content: `**${PLAN_FIELD_LABELS[name]}**\n${md(parts[name] || '—')}`,
  }));
}

/** A card that replaces a form or a review card once it is done with. */
export function buildPlanNoticeCard(input: {
  title: string;
  lines: string[];
  parts?: Partial<PlanParts>;
  template?: string;
}): object {
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: input.title } },
    header: { title: plain(input.title), template: input.template ?? 'green' },
    body: {
      elements: [
        { tag: 'markdown', content: input.lines.map(md).join('\n') },
        ...(input.parts ? planSections(input.parts) : []),
      ],
    },
  };
}
