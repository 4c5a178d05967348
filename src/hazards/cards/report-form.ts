/**
 * Report cards (JSON 2.0): the report form (ONE form container; field names fixed by interface.md), the enterprise
 * pick card, and the offer to report with a photo.
 * Their values and field names: feishu/card-actions.ts (report.submit 提交, report.pick one of several candidate
 * units, report.newUnit register an unknown unit, report.open start a report with the photos already sent).
 */
import { buildUnitPickCard } from '../../directory/unit-pick-card.js';
import { cardValue, type FormFieldOf, type ReportFormField } from '../../feishu/card-actions.js';

export interface ReportFormCardInput {
  draft: number;
  /** Values to show (kept after a failed submit). */
  values: Partial<Record<ReportFormField, string>>;
  /** Problems beside their fields. */
  errors?: Partial<Record<ReportFormField, string>>;
  sectors: readonly string[];
  /** The default deadline shown in the date picker. */
  defaultDeadline: string;
  photoCount: number;
  limits: Readonly<Record<ReportFormField, number>>;
  /** Where the report comes from, said above the form (a failed checklist item: its inspection and item). */
  origin?: { title: string; note: string };
  /** The 判定依据 pick list (hazards/basis-clauses.ts basisOptions); without it, only 其他. */
  basisOptions?: { value: string; text: string }[];
}

const plain = (content: string) => ({ tag: 'plain_text', content });

export function buildReportFormCard(input: ReportFormCardInput): object {
  const v = input.values;
  const errors = input.errors ?? {};
  const fields: object[] = [];
  const error = (name: ReportFormField) => {
    const message = errors[name];
    if (message) fields.push({ tag: 'markdown', content: `<font color='red'>⚠ ${message}</font>` });
  };
  const text = (name: ReportFormField, label: string, placeholder: string, required: boolean, multiline = false) => {
    fields.push({
      tag: 'input',
      name,
      label: plain(`${label}${required ? ' *' : ''}`),
      placeholder: plain(placeholder),
      ...(v[name] ? { default_value: v[name] } : {}),
      max_length: Math.min(1000, input.limits[name] ?? 1000),
      ...(multiline ? { input_type: 'multiline_text', rows: 3 } : {}),
    });
    error(name);
  };
  const select = (name: ReportFormField, placeholder: string, options: { value: string; text: string }[]) => {
    fields.push({
      tag: 'select_static',
      name,
      placeholder: plain(placeholder),
      options: options.map((o) => ({ text: plain(o.text), value: o.value })),
      ...(v[name] && options.some((o) => o.value === v[name]) ? { initial_option: v[name] } : {}),
    });
    error(name);
  };

  text('enterprise', '单位名称', '企业或场所名称（可输入部分名称）', true);
  select(
    'sector',
    '行业 *',
    input.sectors.map((s) => ({ value: s, text: s })),
  );
  select('level', '隐患等级 *', [
    { value: 'general', text: '一般事故隐患' },
    { value: 'major', text: '重大事故隐患（需停产停业整改，或单位自身难以排除）' },
  ]);
  text('description', '隐患描述', '现场发现的问题', true, true);
  text('location', '隐患位置', '车间、设备或部位', true);
  text('measures', '定措施', '需要采取的整改措施', true, true);
  text('standard', '定标准', '验收标准', true, true);
  fields.push({
    tag: 'date_picker',
    name: 'deadline' satisfies ReportFormField,
    placeholder: plain('定期限：整改期限'),
    initial_date: (v.deadline ?? '').slice(0, 10) || input.defaultDeadline,
  });
  error('deadline');
  select('responsible', '定责任人：整改责任人（默认单位主要负责人）', [
    { value: 'principal', text: '单位主要负责人' },
    { value: 'safety_officer', text: '单位安全管理员' },
  ]);
  select('suspend', '停产停业整改（仅重大隐患）', [
    { value: 'no', text: '否' },
    { value: 'yes', text: '是，责令停产停业整改' },
  ]);
  // 判定依据: a clause of the sector's 重大事故隐患 standard from the list, or 其他 with the clause typed below. A value
  // that is not on the list (an older form's free text) is kept in 其他依据 rather than lost.
  const basisOptions = input.basisOptions ?? [{ value: 'other', text: '其他（在下方「其他依据」中写明文件和条款）' }];
  const typedBasis = v.basis && !basisOptions.some((o) => o.value === v.basis) ? v.basis : '';
  select('basis', '判定依据（选填，重大隐患请选择所依据的条款）', basisOptions);
  const otherBasis = v.basis_other || (typedBasis && !/^[\w:.-]+$/.test(typedBasis) ? typedBasis : '');
  fields.push({
    tag: 'input',
    name: 'basis_other' satisfies ReportFormField,
    label: plain('其他依据'),
    placeholder: plain('判定依据选「其他」时填写：文件名称和条款号'),
    ...(otherBasis ? { default_value: otherBasis } : {}),
    max_length: Math.min(1000, input.limits.basis_other ?? 1000),
  });
  error('basis_other');
  text('funds', '治理资金（重大隐患）', '选填：资金来源与金额', false);
  text('contingency', '应急预案（重大隐患）', '选填：整改期间的安全防范与应急措施', false, true);
  fields.push({
    tag: 'button',
    name: 'submit',
    text: plain('提交'),
    type: 'primary_filled',
    form_action_type: 'submit',
    behaviors: [{ type: 'callback', value: cardValue('report.submit', { draft: input.draft }) }],
  });

  const intro = [
    ...(input.origin ? [input.origin.note] : []),
    '填写隐患信息后点「提交」。整改责任人默认为单位主要负责人，也可选单位安全管理员（以名录为准）。',
    input.photoCount > 0
      ? `已收到 ${input.photoCount} 张照片，将随本次上报一起登记。`
      : '现场照片可直接发送给我，30 分钟内发送的照片会附在本次上报中。',
    '提交前不会通知被检查单位和属地（四不两直）。',
  ];
  const hasErrors = Object.keys(errors).length > 0;
  const title = input.origin?.title ?? '上报安全隐患';
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: title } },
    header: { title: plain(title), template: hasErrors ? 'orange' : 'blue' },
    body: {
      elements: [
        ...(hasErrors ? [{ tag: 'markdown', content: "<font color='red'>**请修改标红的内容后重新提交**</font>" }] : []),
        { tag: 'markdown', content: intro.join('\n') },
        { tag: 'form', name: 'report', elements: fields },
      ],
    },
  };
}

export interface PickCardInput {
  draft: number;
  typed: string;
  candidates: { code: string; name: string; regionName: string }[];
  /** Townships the reporter may register a new unit in. */
  townships: { code: string; name: string }[];
}

/** Several (or no) units match the typed name: pick one, or register a new unverified unit in a township. */
export function buildEnterprisePickCard(input: PickCardInput): object {
  return buildUnitPickCard({
    typed: input.typed,
    candidates: input.candidates,
    townships: input.townships,
    among: '',
    pickValue: (code) => cardValue('report.pick', { draft: input.draft, enterprise: code }),
    newUnit: {
      townshipField: 'township' satisfies FormFieldOf<'report.newUnit'>,
      buttonText: '登记新单位并上报',
      value: cardValue('report.newUnit', { draft: input.draft }),
      introSuffix: '',
    },
  });
}

/** A photo arrived with no report open: offer to start one with it. */
export function buildPhotoOfferCard(input: { draft: number; photoCount: number }): object {
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: '已收到照片' } },
    header: { title: plain('已收到照片'), template: 'blue' },
    body: {
      elements: [
        {
          tag: 'markdown',
          content: `已保存 ${input.photoCount} 张照片。要用它们上报一条隐患吗？30 分钟内继续发送的照片也会附在这次上报中。`,
        },
        {
          tag: 'button',
          text: plain('上报隐患'),
          type: 'primary',
          behaviors: [{ type: 'callback', value: cardValue('report.open', { draft: input.draft }) }],
        },
      ],
    },
  };
}

/** A short notice card (no hazard), e.g. "who may report". */
export function buildNoticeCard(title: string, lines: string[], template = 'grey'): object {
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: title } },
    header: { title: plain(title), template },
    body: { elements: [{ tag: 'markdown', content: lines.join('\n') }] },
  };
}
