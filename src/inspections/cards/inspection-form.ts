/**
 * The inspection form (card JSON 2.0, ONE form; field names fixed by interface.md: enterprise, kind, checklist,
 * companions, date; submit 开始检查) and the cards that may follow it before the checklist: which unit (several match
 * the name, or none — a new unverified unit), and which checklist (the unit's sectors have several). The later
 * cards' buttons carry the form's choices (feishu/card-actions.ts), so nothing is kept between the clicks.
 */
import { buildUnitPickCard } from '../../directory/unit-pick-card.js';
import { INSPECTION_KIND_LABELS, type InspectionKind } from '../../domain/index.js';
import {
  type CardActionValueOf,
  cardValue,
  type FormFieldOf,
  type InspectionFormField,
} from '../../feishu/card-actions.js';

const plain = (content: string) => ({ tag: 'plain_text', content });

/** What the form shows: values typed (kept after a refused start), companions as open_ids. */
export interface InspectionFormValues {
  enterprise?: string;
  kind?: string;
  checklist?: string;
  companions?: string[];
  date?: string;
}

export interface InspectionFormCardInput {
  values: InspectionFormValues;
  /** Problems beside their fields. */
  errors?: Partial<Record<InspectionFormField, string>>;
  /** The kinds this person may choose (a unit's officer: only 企业自查). */
  kinds: readonly InspectionKind[];
  /** Active checklists (code, name, sector), shown as "行业 · 名称". */
  checklists: readonly { code: string; name: string; sector: string }[];
  /** Inspectors the asker may take along; none: the field is left out (an empty person picker lists a chat's members). */
  companions: readonly { openId: string; name: string }[];
  /** Local today: the date picker's default. */
  today: string;
}

export const checklistLabel = (c: { name: string; sector: string }) => `${c.sector} · ${c.name}`;

export function buildInspectionFormCard(input: InspectionFormCardInput): object {
  const v = input.values;
  const errors = input.errors ?? {};
  const fields: object[] = [];
  const error = (name: InspectionFormField) => {
    const message = errors[name];
    if (message) fields.push({ tag: 'markdown', content: `<font color='red'>⚠ ${message}</font>` });
  };
  fields.push({
    tag: 'input',
    name: 'enterprise' satisfies InspectionFormField,
    label: plain('被检查单位 *'),
    placeholder: plain('企业或场所名称（可输入部分名称）'),
    ...(v.enterprise ? { default_value: v.enterprise } : {}),
    max_length: 100,
  });
  error('enterprise');
  const kind = v.kind && input.kinds.includes(v.kind as InspectionKind) ? v.kind : input.kinds[0];
  fields.push({
    tag: 'select_static',
    name: 'kind' satisfies InspectionFormField,
    placeholder: plain('检查类型 *'),
    options: input.kinds.map((k) => ({ text: plain(INSPECTION_KIND_LABELS[k]), value: k })),
    ...(kind ? { initial_option: kind } : {}),
  });
  error('kind');
  if (input.checklists.length > 0) {
    fields.push({
      tag: 'select_static',
      name: 'checklist' satisfies InspectionFormField,
      placeholder: plain('检查表（不选则按单位行业自动选择）'),
      options: input.checklists.map((c) => ({ text: plain(checklistLabel(c)), value: c.code })),
      ...(v.checklist && input.checklists.some((c) => c.code === v.checklist) ? { initial_option: v.checklist } : {}),
    });
  }
  error('checklist');
  if (input.companions.length > 0) {
    const offered = new Set(input.companions.map((c) => c.openId));
    const selected = (v.companions ?? []).filter((id) => offered.has(id));
    fields.push({
      tag: 'multi_select_person',
      name: 'companions' satisfies InspectionFormField,
      placeholder: plain('同行检查人（选填，限检查员）'),
      options: input.companions.map((c) => ({ value: c.openId })),
      ...(selected.length > 0 ? { selected_values: selected } : {}),
    });
  }
  error('companions');
  fields.push({
    tag: 'date_picker',
    name: 'date' satisfies InspectionFormField,
    placeholder: plain('检查日期'),
    initial_date: (v.date ?? '').slice(0, 10) || input.today,
  });
  error('date');
  fields.push({
    tag: 'button',
    name: 'start',
    text: plain('开始检查'),
    type: 'primary_filled',
    form_action_type: 'submit',
    behaviors: [{ type: 'callback', value: cardValue('inspection.start', {}) }],
  });

  const selfOnly = input.kinds.length === 1 && input.kinds[0] === 'self';
  const intro = [
    selfOnly
      ? '企业自查：按检查表逐项检查本单位，发现的隐患进入整改闭环，单独统计。'
      : '选择被检查单位、检查类型和检查表后点「开始检查」，随后逐项填写检查结果。',
    '检查期间发送给我的现场照片会附在本次检查中。',
  ];
  const hasErrors = Object.keys(errors).length > 0;
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: '开始检查' } },
    header: { title: plain(selfOnly ? '企业自查' : '开始检查'), template: hasErrors ? 'orange' : 'blue' },
    body: {
      elements: [
        ...(hasErrors ? [{ tag: 'markdown', content: "<font color='red'>**请修改标红的内容后重新提交**</font>" }] : []),
        { tag: 'markdown', content: intro.join('\n') },
        { tag: 'form', name: 'inspection', elements: fields },
      ],
    },
  };
}

/** The form's choices as the buttons after it carry them. */
export type InspectionChoiceValue = Omit<CardActionValueOf<'inspection.pickUnit'>, 'action' | 'enterprise'>;

export interface InspectionUnitPickInput {
  typed: string;
  candidates: readonly { code: string; name: string; regionName: string }[];
  /** Townships where the inspector may register a unit the directory does not know (none for 企业自查). */
  townships: readonly { code: string; name: string }[];
  choices: InspectionChoiceValue;
}

/** Several (or no) units match the typed name: pick one, or register a new unverified unit in a township. */
export function buildInspectionUnitPickCard(input: InspectionUnitPickInput): object {
  return buildUnitPickCard({
    typed: input.typed,
    candidates: input.candidates,
    townships: input.townships,
    among: '您可检查的',
    pickValue: (code) => cardValue('inspection.pickUnit', { ...input.choices, enterprise: code }),
    newUnit: {
      townshipField: 'township' satisfies FormFieldOf<'inspection.newUnit'>,
      buttonText: '登记新单位并开始检查',
      value: cardValue('inspection.newUnit', { ...input.choices, name: input.typed }),
      introSuffix: '并开始检查',
    },
  });
}

/** The unit's sectors have several checklists: pick the one to use. */
export function buildChecklistPickCard(input: {
  unit: { code: string; name: string };
  checklists: readonly { code: string; name: string; sector: string }[];
  choices: InspectionChoiceValue;
}): object {
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: '请选择检查表' } },
    header: { title: plain('请选择检查表'), template: 'wathet' },
    body: {
      elements: [
        {
          tag: 'markdown',
          content: `“${input.unit.name}”所属行业有 ${input.checklists.length} 张检查表，请选择本次使用的一张：`,
        },
        ...input.checklists.map((c) => ({
          tag: 'button',
          text: plain(checklistLabel(c)),
          type: 'default',
          width: 'fill',
          behaviors: [
            {
              type: 'callback',
              value: cardValue('inspection.pickChecklist', {
                ...input.choices,
                enterprise: input.unit.code,
                checklist: c.code,
              }),
            },
          ],
        })),
      ],
    },
  };
}
