/**
 * The three documents of a hazard, from plain inputs (no database): 隐患整改通知书 at registration, 整改复查意见书 at
 * each verification (验收通过 or 驳回), and a major hazard's 治理方案. Each answers the PDF's bytes.
 */
import type { HazardGrade } from '../../domain/index.js';
import { toLocal } from '../../domain/local-time.js';
import { chineseDate, renderDocument } from './pdf.js';

export const DOCUMENT_TITLES = {
  notice: '隐患整改通知书',
  review: '整改复查意见书',
  plan: '重大事故隐患治理方案',
} as const;

/** `〔2026〕YH-2026-000123号` (with a suffix for the second and later documents of one kind: `-复查2`). */
export function documentNumber(hazardCode: string, suffix = ''): string {
  const year = /^YH-(\d{4})-/.exec(hazardCode)?.[1] ?? '';
  return `〔${year}〕${hazardCode}${suffix}号`;
}

const GRADE_TEXT: Record<HazardGrade, string> = { general: '一般事故隐患', major: '重大事故隐患' };

export interface RectificationNoticeInput {
  hazardCode: string;
  /** The issuing body: the supervising department, or the county's safety committee office. */
  issuer: string;
  unitName: string;
  location: string;
  description: string;
  grade: HazardGrade;
  /** The clause cited (依据), when there is one. */
  basis: string | null;
  measures: string;
  standard: string;
  /** The last day (LocalDate). */
  deadline: string;
  responsibleName: string;
  reporterName: string;
  /** 责令停产停业整改 */
  suspended: boolean;
  /** The day of registration (LocalDate): the document's date. */
  issuedOn: string;
  createdAt: Date;
}

/** 隐患整改通知书: the findings and the 定 the hazard carries (措施, 标准, 期限, 责任人), and 停产停业 when ordered. */
export function renderRectificationNoticePdf(input: RectificationNoticeInput): Promise<Buffer> {
  const major = input.grade === 'major';
  return renderDocument({
    issuer: input.issuer,
    title: DOCUMENT_TITLES.notice,
    number: documentNumber(input.hazardCode),
    addressee: input.unitName,
    opening: [
      `经检查，你单位存在下列${GRADE_TEXT[input.grade]}（隐患编号 ${input.hazardCode}）。依据《中华人民共和国安全生产法》` +
        `等法律法规${input.basis ? `及${input.basis}` : ''}的规定，现责令你单位按以下要求限期整改：`,
    ],
    items: [
      { label: '隐患地点', text: input.location },
      { label: '隐患描述', text: input.description },
      { label: '隐患等级', text: GRADE_TEXT[input.grade] },
      { label: '依据条款', text: input.basis },
      { label: '整改措施（定措施）', text: input.measures },
      { label: '整改标准（定标准）', text: input.standard },
      { label: '整改期限（定期限）', text: `${chineseDate(input.deadline)}前完成整改` },
      { label: '整改责任人（定责任人）', text: input.responsibleName },
      {
        label: '停产停业',
        text: input.suspended
          ? '隐患排除前或者排除过程中无法保证安全的，责令你单位从危险区域内撤出作业人员，停产停业整改；' +
            '整改完成并经复查合格后，方可恢复生产经营。'
          : null,
      },
    ],
    closing: [
      `请你单位在整改期间采取有效的安全防范措施，确保安全；整改完成后，通过飞书“提交整改”报告整改情况并申请复查。` +
        `${major ? '重大事故隐患须制定治理方案（定措施、定责任、定资金、定时限、定预案），报送负有监管职责的部门。' : ''}` +
        `逾期未整改或整改不合格的，将依法处理。`,
    ],
    signatures: [`检查（上报）人：${input.reporterName}`, '被检查单位签收人：______________'],
    date: chineseDate(input.issuedOn),
    createdAt: input.createdAt,
    subject: input.hazardCode,
  });
}

export interface ReviewOpinionInput {
  hazardCode: string;
  issuer: string;
  unitName: string;
  /** Which verification of the hazard this is: 1 for the first. */
  sequence: number;
  outcome: 'accepted' | 'rejected';
  grade: HazardGrade;
  description: string;
  /** The rectification reported (整改情况), when there is one. */
  rectification: string | null;
  /** 驳回: why, and the new deadline. */
  reason?: string | null;
  newDeadline?: string | null;
  /** 验收通过 of a suspended unit: production may resume. */
  suspensionLifted?: boolean;
  /** A listed hazard accepted: it closes when the authority that listed it removes the listing (摘牌). */
  awaitsDelisting?: boolean;
  verifierName: string;
  responsibleName: string | null;
  /** The day of the verification (LocalDate). */
  reviewedOn: string;
  createdAt: Date;
}

/** 整改复查意见书: what was reviewed and the opinion, 合格 (销号) or 不合格 (驳回, the reason and the new deadline). */
export function renderReviewOpinionPdf(input: ReviewOpinionInput): Promise<Buffer> {
  const accepted = input.outcome === 'accepted';
  const opinion = accepted
    ? `经复查，该隐患已按要求整改完毕，整改合格，${input.awaitsDelisting ? '待挂牌督办单位摘牌后销号' : '同意销号'}。${input.suspensionLifted ? '同意恢复生产经营。' : ''}`
    : `经复查，该隐患整改不合格，予以驳回。${input.reason?.trim() ? `理由：${input.reason.trim()}。` : ''}`;
  return renderDocument({
    issuer: input.issuer,
    title: DOCUMENT_TITLES.review,
    number: documentNumber(input.hazardCode, `-复查${input.sequence}`),
    addressee: input.unitName,
    opening: [
      `根据《隐患整改通知书》（${documentNumber(input.hazardCode)}），${chineseDate(input.reviewedOn)}对你单位` +
        `${GRADE_TEXT[input.grade]}的整改情况进行了复查，意见如下：`,
    ],
    items: [
      { label: '隐患描述', text: input.description },
      { label: '整改情况', text: input.rectification ?? '（未填写）' },
      { label: '复查意见', text: opinion },
      {
        label: '重新整改期限',
        text: !accepted && input.newDeadline ? `${chineseDate(input.newDeadline)}前完成整改并再次申请复查` : null,
      },
    ],
    closing: accepted
      ? ['请你单位举一反三，持续做好隐患排查治理工作。']
      : ['请你单位按复查意见继续整改，整改期间落实安全防范措施；整改完成后通过飞书重新提交整改。'],
    signatures: [`复查人：${input.verifierName}`, `整改责任人：${input.responsibleName ?? '______________'}`],
    date: chineseDate(input.reviewedOn),
    createdAt: input.createdAt,
    subject: input.hazardCode,
  });
}

/**
 * A major hazard's governance plan (治理方案) as its form collects it (the parts of 第十五条 of the rules); the plan
 * module's `planDocument()` (src/hazards/plan-document.ts) answers exactly this, its times local `YYYY-MM-DD HH:mm`.
 */
export interface GovernancePlanInput {
  hazardCode: string;
  unitName: string;
  /** 现状及产生原因 */
  situation: string;
  /** 危害程度和整改难易程度分析 */
  severity: string;
  /** 治理的目标和任务 */
  goals: string;
  /** 采取的方法和措施 */
  methods: string;
  /** 经费和物资的落实 */
  funding: string;
  /** 负责治理的机构和人员 */
  organisation: string;
  /** 治理的时限和要求 */
  timeline: string;
  /** 安全措施和应急预案 */
  safety: string;
  submittedBy: string;
  /** An instant, or a local date `2026-12-07`. */
  submittedAt: Date | string;
  acceptedBy?: string | null;
  acceptedAt?: Date | string | null;
}

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}/;

/**
 * The local date (Asia/Shanghai unless told) of an instant, or of a local `YYYY-MM-DD[ HH:mm]`, in Chinese; any other
 * text (the plan form's `—` for unknown) as it is.
 */
function dayOf(value: Date | string, timeZone: string): string {
  if (typeof value !== 'string') return chineseDate(toLocal(value, timeZone).date);
  return LOCAL_DATE.test(value) ? chineseDate(value.slice(0, 10)) : value;
}

/** When the document was made (its metadata): the instant, or midnight UTC of a local date, or none. */
function instantOf(value: Date | string): Date | undefined {
  if (typeof value !== 'string') return value;
  return LOCAL_DATE.test(value) ? new Date(`${value.slice(0, 10)}T00:00:00Z`) : undefined;
}

/** 重大事故隐患治理方案, issued by the unit (it writes the plan), with who submitted and who accepted it. */
export function renderGovernancePlanPdf(
  input: GovernancePlanInput,
  options: { timeZone?: string } = {},
): Promise<Buffer> {
  const timeZone = options.timeZone ?? 'Asia/Shanghai';
  const submitted = dayOf(input.submittedAt, timeZone);
  const signatures = [`编制（提交）人：${input.submittedBy}    提交日期：${submitted}`];
  if (input.acceptedBy) {
    const on = input.acceptedAt ? `    审核日期：${dayOf(input.acceptedAt, timeZone)}` : '';
    signatures.push(`审核（同意）人：${input.acceptedBy}${on}`);
  }
  return renderDocument({
    issuer: input.unitName,
    title: DOCUMENT_TITLES.plan,
    number: documentNumber(input.hazardCode, '-方案'),
    opening: [
      `本单位重大事故隐患（隐患编号 ${input.hazardCode}）依照《安全生产事故隐患排查治理暂行规定》第十五条，` +
        '制定治理方案如下：',
    ],
    items: [
      { label: '现状及产生原因', text: input.situation },
      { label: '危害程度和整改难易程度分析', text: input.severity },
      { label: '治理的目标和任务', text: input.goals },
      { label: '采取的方法和措施', text: input.methods },
      { label: '经费和物资的落实', text: input.funding },
      { label: '负责治理的机构和人员', text: input.organisation },
      { label: '治理的时限和要求', text: input.timeline },
      { label: '安全措施和应急预案', text: input.safety },
    ],
    closing: [],
    signatures,
    date: input.acceptedBy && input.acceptedAt ? dayOf(input.acceptedAt, timeZone) : submitted,
    createdAt: instantOf(input.submittedAt) ?? new Date(0),
    subject: input.hazardCode,
  });
}
