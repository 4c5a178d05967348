/**
 * The handlers' card of a tip (JSON 2.0): what was reported, where, the photos, the tipster as 实名（姓名 电话）or
 * 匿名 — this card goes to the handlers alone, never to the unit or a group — and the buttons of its state:
 * 受理 / 不予受理 while received, 属实 / 不属实 once accepted. 不予受理 and 不属实 first show their small form (the
 * reason, the duplicate's code or to whom it was forwarded; the note) on the same card.
 */

import { DECLINE_REASON_LABELS, DECLINE_REASONS, type TipStatus } from '../domain/tip.js';
import { cardValue, type FormFieldOf } from '../feishu/card-actions.js';

export interface TipCardView {
  code: string;
  status: TipStatus;
  statusLabel: string;
  what: string;
  place: string;
  regionName: string | null;
  unitName: string | null;
  /** 实名（姓名 电话）or 匿名. */
  tipster: string;
  receivedAt: string;
  photos: { imageKey: string | null }[];
  /** Who took it and who decided, with when ("张三 12-07 10:00"). */
  acceptedBy: string | null;
  decidedBy: string | null;
  /** 不予受理's reason as shown, 不属实's note, 属实's hazard code. */
  decision: string | null;
  hazardCode: string | null;
  /** The latest answer the tipster was given. */
  answer: string | null;
  /** 举报奖励 as the card says it ("500.00 元，2026-12-08 决定，已发放（2026-12-10）"), null before it is recorded. */
  reward: string | null;
  /** The recorded reward's fields, to prefill the form when it is corrected. */
  rewardValues?: Partial<Record<FormFieldOf<'tip.reward'>, string>>;
}

export type TipCardForm = 'decline' | 'unfounded' | 'reward';
export type TipFormField = FormFieldOf<'tip.decline'> | FormFieldOf<'tip.unfounded'> | FormFieldOf<'tip.reward'>;

export interface TipCardOptions {
  /** The form a click opened (不予受理's reason, 不属实's note). */
  form?: TipCardForm;
  /** What the form held when its submit was refused, and the problem to show. */
  echo?: { values: Partial<Record<TipFormField, string>>; error?: { field: string; message: string } };
  /** A line above everything (e.g. "请在上报表单中登记隐患"). */
  note?: string;
}

const plain = (content: string) => ({ tag: 'plain_text', content });
/** lark_md treats these as markup; the tipster's text is shown as typed. */
const md = (text: string) => text.replace(/([*_~`<>[\]\\#])/g, '\\$1');
const clip = (text: string, max = 600) => (text.length > max ? `${text.slice(0, max)}…` : text);
const line = (label: string, value: string, max = 600) => ({
  tag: 'markdown',
  content: `**${label}**：${md(clip(value, max))}`,
});
const problem = (message: string) => ({ tag: 'markdown', content: `<font color='red'>⚠ ${md(message)}</font>` });

const HEADER: Record<TipStatus, string> = {
  received: 'orange',
  accepted: 'blue',
  declined: 'grey',
  confirmed: 'green',
  unfounded: 'grey',
};

export function buildTipCard(view: TipCardView, options: TipCardOptions = {}): object {
  const elements: object[] = [];
  if (options.note) elements.push({ tag: 'markdown', content: `**${md(options.note)}**` });
  // The whole of what the tipster wrote (≤ 2000 characters, about 6 KB: well inside a card's 30 KB).
  elements.push(line('反映内容', view.what, 2000), line('地点', view.place));
  if (view.unitName) elements.push(line('涉及单位', view.unitName));
  if (view.regionName) elements.push(line('所属乡镇', view.regionName));
  elements.push(line('举报人', view.tipster), line('收到时间', view.receivedAt));
  if (view.acceptedBy) elements.push(line('受理', view.acceptedBy));
  if (view.decision) elements.push(line('处理结果', view.decision));
  if (view.decidedBy) elements.push(line('处理人', view.decidedBy));
  if (view.answer) elements.push(line('已答复举报人', view.answer));
  if (view.reward) elements.push(line('举报奖励', view.reward));
  if (view.photos.length > 0) {
    elements.push({ tag: 'markdown', content: `**照片**（共 ${view.photos.length} 张）` });
    for (const photo of view.photos) {
      if (photo.imageKey) elements.push({ tag: 'img', img_key: photo.imageKey, alt: plain('举报照片') });
    }
  }
  elements.push(...actions(view, options));
  const title = `群众举报｜${view.code}`;
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: `${title} ${view.statusLabel}` } },
    header: {
      title: plain(title),
      subtitle: plain('举报人信息仅限处理人员知悉，严禁泄露'),
      text_tag_list: [{ tag: 'text_tag', text: plain(view.statusLabel), color: 'blue' }],
      template: HEADER[view.status],
    },
    body: { elements },
  };
}

const button = (text: string, type: string, value: object) => ({
  tag: 'button',
  text: plain(text),
  type,
  behaviors: [{ type: 'callback', value }],
});

function actions(view: TipCardView, options: TipCardOptions): object[] {
  const code = view.code;
  const echo = options.echo;
  const typed = (field: TipFormField) => echo?.values[field]?.trim() || undefined;
  const errorBeside = (field: TipFormField) => (echo?.error?.field === field ? [problem(echo.error.message)] : []);
  if (view.status === 'received') {
    if (options.form === 'decline') {
      const reason = typed('decline_reason');
      return [
        {
          tag: 'form',
          name: 'decline_form',
          elements: [
            {
              tag: 'select_static',
              name: 'decline_reason',
              placeholder: plain('不予受理的理由'),
              options: DECLINE_REASONS.map((r) => ({ text: plain(DECLINE_REASON_LABELS[r]), value: r })),
              ...(reason && (DECLINE_REASONS as readonly string[]).includes(reason) ? { initial_option: reason } : {}),
              required: true,
            },
            ...errorBeside('decline_reason'),
            input(
              'duplicate_of',
              '重复的编号',
              '重复举报时填写：举报编号 JB-… 或隐患编号 YH-…',
              typed('duplicate_of'),
              40,
            ),
            ...errorBeside('duplicate_of'),
            input('forwarded_to', '已转交单位', '不属于本县管辖时填写：已转交哪个单位', typed('forwarded_to'), 100),
            ...errorBeside('forwarded_to'),
            {
              ...button('确认不予受理', 'danger', cardValue('tip.decline', { code })),
              name: 'decline',
              form_action_type: 'submit',
            },
          ],
        },
      ];
    }
    return [
      {
        tag: 'column_set',
        columns: [
          { tag: 'column', elements: [button('受理', 'primary_filled', cardValue('tip.accept', { code }))] },
          { tag: 'column', elements: [button('不予受理', 'default', cardValue('tip.startDecline', { code }))] },
        ],
      },
    ];
  }
  if (view.status === 'accepted') {
    if (options.form === 'unfounded') {
      return [
        {
          tag: 'form',
          name: 'unfounded_form',
          elements: [
            input('note', '核查情况', '现场核查的情况，将答复举报人', typed('note'), 500),
            ...errorBeside('note'),
            {
              ...button('确认不属实', 'danger', cardValue('tip.unfounded', { code })),
              name: 'unfounded',
              form_action_type: 'submit',
            },
          ],
        },
      ];
    }
    return [
      {
        tag: 'column_set',
        columns: [
          { tag: 'column', elements: [button('属实', 'primary_filled', cardValue('tip.confirm', { code }))] },
          { tag: 'column', elements: [button('不属实', 'default', cardValue('tip.startUnfounded', { code }))] },
        ],
      },
    ];
  }
  if (view.status === 'confirmed') return rewardActions(view, options);
  return [];
}

/** 举报奖励: a button for the county safety office (others are refused on click), then its small form. */
function rewardActions(view: TipCardView, options: TipCardOptions): object[] {
  const code = view.code;
  if (options.form !== 'reward') {
    const text = view.reward ? '修改举报奖励（县安委办）' : '记录举报奖励（县安委办）';
    return [button(text, 'default', cardValue('tip.startReward', { code }))];
  }
  const echo = options.echo;
  const value = (field: FormFieldOf<'tip.reward'>) =>
    echo ? echo.values[field]?.trim() || undefined : view.rewardValues?.[field] || undefined;
  const errorBeside = (field: TipFormField) => (echo?.error?.field === field ? [problem(echo.error.message)] : []);
  const field = (name: FormFieldOf<'tip.reward'>, label: string, placeholder: string) => ({
    tag: 'input',
    name,
    label: plain(label),
    placeholder: plain(placeholder),
    ...(value(name) ? { default_value: value(name) } : {}),
    max_length: 20,
  });
  const paid = value('paid');
  return [
    {
      tag: 'form',
      name: 'reward_form',
      elements: [
        field('amount', '奖励金额（元）', '如 500 或 1200.50'),
        ...errorBeside('amount'),
        field('decided_on', '决定日期', '如 2026-12-07'),
        ...errorBeside('decided_on'),
        {
          tag: 'select_static',
          name: 'paid',
          placeholder: plain('是否已发放'),
          options: [
            { text: plain('已发放'), value: 'yes' },
            { text: plain('未发放'), value: 'no' },
          ],
          ...(paid === 'yes' || paid === 'no' ? { initial_option: paid } : {}),
          required: true,
        },
        ...errorBeside('paid'),
        field('paid_on', '发放日期', '已发放时填写，如 2026-12-10'),
        ...errorBeside('paid_on'),
        {
          ...button('保存奖励', 'primary_filled', cardValue('tip.reward', { code })),
          name: 'reward',
          form_action_type: 'submit',
        },
      ],
    },
  ];
}

const input = (
  name: TipFormField,
  label: string,
  placeholder: string,
  value: string | undefined,
  maxLength: number,
) => ({
  tag: 'input',
  name,
  label: plain(label),
  placeholder: plain(placeholder),
  ...(value ? { default_value: value } : {}),
  input_type: 'multiline_text',
  rows: 2,
  max_length: maxLength,
});
