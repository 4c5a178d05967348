/**
 * The hazard's living card (JSON 2.0): state, flags, the four 定, the trail, photos, and the buttons the viewer's
 * part allows. One builder for every card that shows a hazard, so an update renders the same card for everyone
 * of an audience.
 *
 * Its buttons (values and form fields: feishu/card-actions.ts): 确认接收, 提交整改, 申请延期, 申请复产 for the
 * rectifier; 验收通过, 驳回, 同意延期 / 不同意延期 for the verifier; for the county's authority and the supervising
 * department, 挂牌督办, 摘牌, 责令停产停业 / 不同意停产, 复产验收通过 / 不通过; 发表意见 for viewers of an open hazard.
 *
 * Kept whole because every card that shows a hazard must render the same facts and the same buttons for an audience;
 * the view type, the layout and the buttons change together whenever a step of the loop is added.
 */
import { type CardActionValue, cardValue, type HazardFormField } from '../../feishu/card-actions.js';
import { DETAIL_LABEL, openUrlButton } from './detail-link.js';

/**
 * Whose card it is: the unit's side, an inspector, an inspector of the unit's supervising department (who also orders
 * 停产停业 and accepts 复产: `department`), the authority that lists and decides as a leader (安委办, the department's
 * leader: `authority`), or a viewer (leaders).
 */
export type CardAudience = 'rectifier' | 'verifier' | 'department' | 'authority' | 'viewer';

export interface HazardCardView {
  code: string;
  status: 'reported' | 'rectifying' | 'pending_verification' | 'pending_delisting' | 'closed';
  statusLabel: string;
  grade: 'general' | 'major';
  /** describeFlags(): "重大隐患 · 挂牌督办 · 县级督办 · 停产停业整改 · 已超期" */
  flags: string;
  light: 'red' | 'yellow' | 'green';
  overdue: boolean;
  enterprise: { name: string; verified: boolean };
  regionName: string;
  departmentName: string | null;
  sector: string;
  description: string;
  location: string;
  measures: string;
  standard: string;
  deadline: string;
  basis: string | null;
  suspended: boolean;
  /** 建议停产停业 waiting for the department. */
  suspensionProposal: { byName: string; at: string } | null;
  /** 申请复产 waiting for the department's 复产验收. */
  resumptionRequest: { byName: string; at: string } | null;
  /** 挂牌督办: by which authority, who, when. */
  listing: { authorityLabel: string; byName: string; at: string } | null;
  supervisionLabel: string | null;
  reporterName: string;
  responsibleName: string | null;
  acknowledged: boolean;
  rectification: string | null;
  extension: {
    byName: string;
    newDeadline: string;
    reason: string;
    /** 申请时间, "YYYY-MM-DD HH:mm". */
    requestedAt: string;
    /**
     * Why 同意延期 must now choose a date (the date asked has passed, or no longer moves the deadline), or null
     * while approving can take the date asked.
     */
    needsNewDate: string | null;
    /** The date offered then: as many days as the unit asked for, counted from today. */
    suggestedDeadline: string;
    /** The days the unit asked for, in words ("14 天", "10 个工作日"). */
    daysAsked: string;
  } | null;
  /**
   * While waiting for verification: how long a rejection gives by default — the days the unit had left when it
   * submitted, in words ("2 天", "3 个工作日"), counted from the day of the rejection. Null otherwise.
   */
  rejectionDays: string | null;
  governancePlan: {
    measures: string;
    responsibility: string;
    funds: string;
    deadline: string;
    contingency: string;
  } | null;
  /** A major hazard's 治理方案 (hazards/governance-plan.ts): 待提交 / 待审核 / 已退回 / 已通过, and its due date. */
  plan?: { stateLabel: string; due: string; version: number | null; reason: string | null } | null;
  reportedAt: string;
  /** The last step someone took (not a remark or a photo): what the cards' headline and status line tell. */
  latestStep: LatestStep | null;
  /** Oldest first; each "MM-DD HH:mm 张三 提交整改：…". */
  trail: { at: string; who: string; text: string }[];
  photos: { stage: 'report' | 'rectification'; imageKey: string }[];
  /** The hazard's web page (查看详情, detail-link.ts), or null when the service has no web view. */
  detailUrl: string | null;
}

/** A step of the hazard's loop, as its cards tell it. `at`: "MM-DD HH:mm". */
export type LatestStep = { who: string; at: string } & (
  | { type: 'acknowledged' }
  | { type: 'rectification_submitted' }
  | { type: 'extension_requested'; newDeadline: string }
  | { type: 'extension_approved'; newDeadline: string; requested?: string }
  | { type: 'extension_refused'; reason: string | null }
  | { type: 'accepted' }
  | { type: 'rejected'; reason: string; deadline?: string }
  | { type: 'resumption_requested' }
  | { type: 'delisted' }
);

export interface HazardCardOptions {
  audience: CardAudience;
  /** Why this card was sent: shown as the title's lead ("整改通知", "重大隐患挂牌督办"…). */
  title?: string;
  /** A line above everything (e.g. "请验收"). */
  note?: string;
  /** How many trail entries (newest) to show; the 查询 card shows all that fit. */
  trailLimit?: number;
  /** Photos shown (newest first). */
  photoLimit?: number;
  /** A decision form sent back with what was typed and what to fix (the card answering a refused submit). */
  echo?: FormEcho;
}

/** What a decision form held when its submit was refused, and the problem to show beside its field. */
export interface FormEcho {
  form: 'reject' | 'extension_decision' | 'suspension_decision' | 'resumption_decision';
  values: Partial<Record<HazardFormField, string>>;
  error?: { field: string; message: string };
}

/** Feishu rejects cards over 30 KB; stay clear of it. */
export const CARD_BYTE_BUDGET = 28 * 1024;
const FIELD_SHOW_CHARS = 400;

const clip = (text: string, max = FIELD_SHOW_CHARS) => (text.length > max ? `${text.slice(0, max)}…` : text);
/** lark_md treats these as markup; user text is shown as typed. */
const md = (text: string) => text.replace(/([*_~`<>[\]\\])/g, '\\$1');

const HEADER_COLOUR: Record<HazardCardView['light'] | 'closed', string> = {
  red: 'red',
  yellow: 'orange',
  green: 'blue',
  closed: 'green',
};

export function buildHazardCard(view: HazardCardView, options: HazardCardOptions): object {
  let trailLimit = options.trailLimit ?? 5;
  let photoLimit = options.photoLimit ?? 3;
  let card = render(view, options, trailLimit, photoLimit, FIELD_SHOW_CHARS);
  // Long texts and trails: trim the trail first, then photos, then the text shown, until the card fits.
  while (byteLength(card) > CARD_BYTE_BUDGET) {
    if (trailLimit > 3) trailLimit = Math.max(3, Math.floor(trailLimit / 2));
    else if (photoLimit > 0) photoLimit--;
    else if (trailLimit > 0) trailLimit--;
    else return render(view, options, 0, 0, 150);
    card = render(view, options, trailLimit, photoLimit, FIELD_SHOW_CHARS);
  }
  return card;
}

export function byteLength(card: unknown): number {
  return Buffer.byteLength(JSON.stringify(card), 'utf8');
}

function render(
  view: HazardCardView,
  options: HazardCardOptions,
  trailLimit: number,
  photoLimit: number,
  chars: number,
): object {
  const elements: object[] = [];
  if (options.note) elements.push({ tag: 'markdown', content: `**${md(options.note)}**` });
  const unit = `${md(view.enterprise.name)}${view.enterprise.verified ? '' : '（待核实单位）'}`;
  elements.push({
    tag: 'markdown',
    content: [
      `**编号**：${view.code}　**状态**：${view.statusLabel}`,
      `**单位**：${unit}`,
      `**属地**：${md(view.regionName)}${view.departmentName ? `　**主管部门**：${md(view.departmentName)}` : ''}`,
      `**行业**：${md(view.sector)}　**等级**：${view.flags}`,
      `**位置**：${md(clip(view.location, chars))}`,
      `**隐患描述**：${md(clip(view.description, chars))}`,
    ].join('\n'),
  });
  elements.push({
    tag: 'markdown',
    content: [
      `**定措施**：${md(clip(view.measures, chars))}`,
      `**定标准**：${md(clip(view.standard, chars))}`,
      `**定期限**：${view.deadline}${view.overdue ? '（已超期）' : ''}`,
      `**定责任人**：${view.responsibleName ? md(view.responsibleName) : '待指定'}${view.acknowledged ? '（已确认接收）' : ''}`,
      `**上报人**：${md(view.reporterName)}　**上报时间**：${view.reportedAt}`,
      ...(view.basis ? [`**依据**：${md(clip(view.basis, chars))}`] : []),
      ...(view.listing
        ? [
            `**挂牌督办**：${md(view.listing.authorityLabel)}（${md(view.listing.byName)}，${view.listing.at}）${view.status === 'closed' ? '，已摘牌' : '，验收后由挂牌单位摘牌销号'}`,
          ]
        : []),
      ...(view.suspended
        ? [
            `**停产停业整改**：是（整改完成后由单位申请复产，主管部门复产验收）${view.resumptionRequest ? `；${md(view.resumptionRequest.byName)} 已于 ${view.resumptionRequest.at} 申请复产` : ''}`,
          ]
        : []),
      ...(view.suspensionProposal
        ? [
            `**建议停产停业**：${md(view.suspensionProposal.byName)} 于 ${view.suspensionProposal.at} 建议，待行业主管部门确认`,
          ]
        : []),
      ...(view.plan
        ? [
            `**治理方案**：${view.plan.stateLabel}${view.plan.version ? `（第 ${view.plan.version} 版）` : ''}　**提交期限**：${view.plan.due}${view.plan.stateLabel === '已通过' ? '' : '（退回修改不停止计时）'}`,
            ...(view.plan.reason ? [`**退回理由**：${md(clip(view.plan.reason, chars))}`] : []),
          ]
        : []),
    ].join('\n'),
  });
  if (view.governancePlan) {
    const plan = view.governancePlan;
    elements.push({
      tag: 'markdown',
      content: [
        '**治理方案（五落实）**',
        `措施：${md(clip(plan.measures, chars))}`,
        `责任：${md(plan.responsibility)}`,
        `资金：${md(clip(plan.funds || '未填写', chars))}`,
        `时限：${plan.deadline}`,
        `预案：${md(clip(plan.contingency || '未填写', chars))}`,
      ].join('\n'),
    });
  }
  if (view.rectification) {
    elements.push({ tag: 'markdown', content: `**整改情况**：${md(clip(view.rectification, chars))}` });
  }
  if (view.extension) {
    elements.push({
      tag: 'markdown',
      content: `**延期申请**：${md(view.extension.byName)} 申请延期至 ${view.extension.newDeadline}，理由：${md(clip(view.extension.reason, chars))}\n**申请时间**：${view.extension.requestedAt}`,
    });
  }
  const photos = view.photos.slice(-photoLimit).reverse();
  if (photoLimit > 0 && photos.length > 0) {
    elements.push({ tag: 'markdown', content: `**照片**（共 ${view.photos.length} 张）` });
    for (const photo of photos) {
      elements.push({
        tag: 'img',
        img_key: photo.imageKey,
        alt: { tag: 'plain_text', content: photo.stage === 'report' ? '隐患照片' : '整改照片' },
        scale_type: 'fit_horizontal',
      });
    }
  }
  const trail = trailLimit > 0 ? view.trail.slice(-trailLimit) : [];
  if (trail.length > 0) {
    const skipped = view.trail.length - trail.length;
    elements.push({
      tag: 'markdown',
      content: [
        `**处理记录**${skipped > 0 ? `（最近 ${trail.length} 条，共 ${view.trail.length} 条；${view.detailUrl ? `点「${DETAIL_LABEL}」` : `发送「查询 ${view.code}」`}看全部）` : ''}`,
        ...trail.map((e) => `${e.at} ${md(e.who)} ${md(clip(e.text, 120))}`),
      ].join('\n'),
    });
  }
  // The whole trail, every photo and the five 定 on one page; before the forms, so it is not scrolled past.
  if (view.detailUrl) elements.push(openUrlButton(view.detailUrl));
  elements.push(...actionElements(view, options.audience, options.echo));

  const title = `${options.title ? `${options.title}｜` : ''}${view.code}`;
  const tags: object[] = [{ tag: 'text_tag', text: { tag: 'plain_text', content: view.statusLabel }, color: 'blue' }];
  if (view.grade === 'major')
    tags.push({ tag: 'text_tag', text: { tag: 'plain_text', content: '重大' }, color: 'red' });
  if (view.overdue) tags.push({ tag: 'text_tag', text: { tag: 'plain_text', content: '已超期' }, color: 'orange' });
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: `${title} ${view.statusLabel}` } },
    header: {
      title: { tag: 'plain_text', content: title },
      subtitle: { tag: 'plain_text', content: `${view.enterprise.name} · ${view.flags}` },
      text_tag_list: tags,
      template: HEADER_COLOUR[view.status === 'closed' ? 'closed' : view.light],
    },
    body: { elements },
  };
}

const button = (text: string, type: string, value: CardActionValue) => ({
  tag: 'button',
  text: { tag: 'plain_text', content: text },
  type,
  behaviors: [{ type: 'callback', value }],
});

const submit = (text: string, type: string, name: string, value: CardActionValue) => ({
  ...button(text, type, value),
  name,
  form_action_type: 'submit',
});

const input = (name: HazardFormField, label: string, placeholder: string, required: boolean, maxLength: number) => ({
  tag: 'input',
  name,
  label: { tag: 'plain_text', content: label },
  placeholder: { tag: 'plain_text', content: placeholder },
  input_type: 'multiline_text',
  rows: 2,
  max_length: maxLength,
  required,
});

/** A form's fields and its submit buttons (驳回, 审批意见, 督办意见). */
const form = (name: string, ...elements: object[]) => ({ tag: 'form', name, elements });

/** A date picker for the deadline a decision sets, showing `initial` when there is one. */
const deadlinePicker = (
  name: Extract<HazardFormField, 'deadline' | 'approved_deadline'>,
  placeholder: string,
  initial: string | undefined,
) => ({
  tag: 'date_picker',
  name,
  placeholder: { tag: 'plain_text', content: placeholder },
  ...(initial && /^\d{4}-\d{2}-\d{2}$/.test(initial) ? { initial_date: initial } : {}),
  required: false,
});

const note = (text: string) => ({ tag: 'markdown', content: text });
const problem = (message: string) => note(`<font color='red'>⚠ ${md(message)}</font>`);

function actionElements(view: HazardCardView, audience: CardAudience, echo?: FormEcho): object[] {
  const code = view.code;
  const out: object[] = [];
  /** What was typed into `field` of `formName` before a refused submit; what to fix beside it. */
  const typed = (formName: FormEcho['form'], field: HazardFormField) =>
    echo?.form === formName ? echo.values[field]?.trim() || undefined : undefined;
  const errorsBeside = (formName: FormEcho['form'], field: HazardFormField) =>
    echo?.form === formName && echo.error?.field === field ? [problem(echo.error.message)] : [];
  const withText = <T extends object>(field: T, value: string | undefined) =>
    value ? { ...field, default_value: value } : field;

  if (audience === 'rectifier' && view.status === 'rectifying') {
    if (!view.acknowledged) out.push(button('确认接收', 'primary', cardValue('hazard.acknowledge', { code })));
    out.push({
      tag: 'form',
      name: 'rectify_form',
      elements: [
        input('rectification', '整改情况', '已采取的整改措施（可先发送整改照片给我）', true, 1000),
        submit('提交整改', 'primary_filled', 'submit_rectification', cardValue('hazard.submitRectification', { code })),
      ],
    });
    if (!view.extension) {
      out.push({
        tag: 'form',
        name: 'extension_form',
        elements: [
          {
            tag: 'date_picker',
            name: 'new_deadline' satisfies HazardFormField,
            placeholder: { tag: 'plain_text', content: '新的整改期限' },
            required: true,
          },
          input('extension_reason', '延期理由', '为什么需要延期', true, 500),
          submit('申请延期', 'default', 'request_extension', cardValue('hazard.requestExtension', { code })),
        ],
      });
    }
  }
  if (audience === 'rectifier' && view.status === 'pending_verification' && view.suspended && !view.resumptionRequest) {
    out.push(note('整改已提交。停产停业整改的单位须申请复产，由行业主管部门到现场复产验收（10 日内）。'));
    out.push(button('申请复产', 'primary_filled', cardValue('hazard.requestResumption', { code })));
  }
  const verifies = audience === 'verifier' || audience === 'department';
  if (verifies && view.status === 'pending_verification') {
    // A suspended unit's rectification is accepted by the department's 复产验收; a verifier may still reject it.
    if (view.suspended) out.push(note('停产停业整改中：验收由行业主管部门复产验收（单位申请复产后）。'));
    else out.push(button('验收通过', 'primary_filled', cardValue('hazard.accept', { code })));
    const days = view.rejectionDays ?? '1 天';
    out.push(
      form(
        'reject_form',
        withText(
          input('reject_reason', '驳回理由', '未通过验收的原因（驳回时必填）', false, 500),
          typed('reject', 'reject_reason'),
        ),
        ...errorsBeside('reject', 'reject_reason'),
        note(`驳回后的整改期限：不选则为驳回之日起 ${days}（提交整改时剩余的期限）`),
        deadlinePicker('deadline', '新的整改期限（不选则按默认）', typed('reject', 'deadline')),
        ...errorsBeside('reject', 'deadline'),
        submit('驳回', 'danger', 'reject', cardValue('hazard.reject', { code })),
      ),
    );
  }
  if (verifies && view.extension && view.status !== 'closed') {
    const extension = view.extension;
    const chosen = typed('extension_decision', 'approved_deadline');
    const chooseDate = extension.needsNewDate !== null || chosen !== undefined;
    out.push(
      form(
        'extension_decision',
        withText(
          input('decision_reason', '审批意见', '不同意时可说明理由（选填）', false, 500),
          typed('extension_decision', 'decision_reason'),
        ),
        ...errorsBeside('extension_decision', 'decision_reason'),
        ...(chooseDate
          ? [
              note(
                `${extension.needsNewDate ? `${md(extension.needsNewDate)}：` : ''}同意延期须另定整改期限，默认自今天起 ${extension.daysAsked}（与申请的天数相同）`,
              ),
              deadlinePicker('approved_deadline', '同意延期后的整改期限', chosen ?? extension.suggestedDeadline),
            ]
          : []),
        ...errorsBeside('extension_decision', 'approved_deadline'),
        submit('同意延期', 'primary', 'approve_extension', cardValue('hazard.approveExtension', { code })),
        submit('不同意延期', 'danger', 'refuse_extension', cardValue('hazard.refuseExtension', { code })),
      ),
    );
  }
  // The department's decisions are on its inspectors' cards and on the authority's; the listing is the authority's.
  if (audience === 'authority' || audience === 'department') {
    out.push(...authorityElements(view, audience === 'authority', typed, errorsBeside, withText));
  }
  if ((audience === 'viewer' || audience === 'authority') && view.status !== 'closed') {
    out.push(
      form(
        'comment_form',
        input('comment', '督办意见', '对整改的要求或意见，将告知整改责任人和上报人', true, 500),
        submit('发表意见', 'primary', 'submit_comment', cardValue('hazard.comment', { code })),
      ),
    );
  }
  return out;
}

/** The authority's decisions, as the hazard now stands: 挂牌督办, 摘牌, the suspension proposal, the 复产验收. */
function authorityElements(
  view: HazardCardView,
  listing: boolean,
  typed: (formName: FormEcho['form'], field: HazardFormField) => string | undefined,
  errorsBeside: (formName: FormEcho['form'], field: HazardFormField) => object[],
  withText: <T extends object>(field: T, value: string | undefined) => T,
): object[] {
  const code = view.code;
  const out: object[] = [];
  const open = view.status !== 'closed' && view.status !== 'pending_delisting';
  if (listing && view.grade === 'major' && !view.listing && open) {
    out.push(note('重大事故隐患：县安委办或行业主管部门负责人可挂牌督办，验收后由挂牌单位摘牌销号。'));
    out.push(button('挂牌督办', 'danger', cardValue('hazard.list', { code })));
  }
  if (listing && view.status === 'pending_delisting') {
    out.push(note('整改已验收通过：请挂牌单位摘牌，隐患随之销号。'));
    out.push(button('摘牌', 'primary_filled', cardValue('hazard.delist', { code })));
  }
  if (view.suspensionProposal && !view.suspended && view.status !== 'closed') {
    out.push(
      form(
        'suspension_decision',
        withText(
          input('suspension_reason', '意见', '责令或不同意停产停业的意见（选填）', false, 500),
          typed('suspension_decision', 'suspension_reason'),
        ),
        ...errorsBeside('suspension_decision', 'suspension_reason'),
        submit('责令停产停业', 'danger', 'order_suspension', cardValue('hazard.orderSuspension', { code })),
        submit('不同意停产', 'default', 'decline_suspension', cardValue('hazard.declineSuspension', { code })),
      ),
    );
  }
  if (view.resumptionRequest && view.suspended && view.status === 'pending_verification') {
    out.push(
      form(
        'resumption_decision',
        note(
          `${md(view.resumptionRequest.byName)} 于 ${view.resumptionRequest.at} 申请复产：请在 10 日内到现场复产验收。`,
        ),
        withText(
          input('resumption_reason', '复产验收意见', '不通过时必填理由', false, 500),
          typed('resumption_decision', 'resumption_reason'),
        ),
        ...errorsBeside('resumption_decision', 'resumption_reason'),
        deadlinePicker('deadline', '不通过时新的整改期限（不选则按默认）', typed('resumption_decision', 'deadline')),
        ...errorsBeside('resumption_decision', 'deadline'),
        submit('复产验收通过', 'primary_filled', 'accept_resumption', cardValue('hazard.acceptResumption', { code })),
        submit('复产验收不通过', 'danger', 'reject_resumption', cardValue('hazard.rejectResumption', { code })),
      ),
    );
  }
  return out;
}
