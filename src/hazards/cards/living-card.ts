/**
 * The hazard's card as each recipient keeps it: why it was sent (its kind) sets its title while that request stands;
 * once someone has acted on it, the title says what happened (验收通过, 驳回, 同意延期…), and every card shows the
 * latest step with who took it and when — so nobody is left looking at 请验收 on a hazard already closed.
 */
import {
  buildHazardCard,
  type CardAudience,
  type FormEcho,
  type HazardCardView,
  type LatestStep,
} from './hazard-card.js';

/**
 * Why a card was sent. `major` is the leaders' card that earlier releases sent at report time (the policy's on-report
 * step sends a reminder card now); those cards are still stored and kept current, so the kind stays.
 */
export type CardKind =
  | 'report'
  | 'notice'
  | 'info'
  | 'major'
  | 'verify'
  | 'extension'
  | 'rejected'
  | 'query'
  /** To the county's authority: a major hazard to list (挂牌督办). */
  | 'listing'
  /** To the supervising department: an inspector's 建议停产停业 to confirm. */
  | 'suspension'
  /** To the supervising department: the unit's 申请复产, for 复产验收. */
  | 'resumption'
  /** To the listing authority: accepted, to delist (摘牌). */
  | 'delisting';

/** The title of a card of each kind while what it was sent for still stands. */
export const CARD_TITLES: Readonly<Record<CardKind, string>> = {
  report: '已上报',
  notice: '整改通知',
  info: '隐患登记',
  major: '重大事故隐患',
  verify: '整改已提交，请验收',
  extension: '延期申请待审批',
  rejected: '整改被驳回',
  query: '隐患详情',
  listing: '重大事故隐患，请决定挂牌督办',
  suspension: '停产停业建议待确认',
  resumption: '复产申请，请复产验收',
  delisting: '已验收通过，请摘牌',
};

/** A reason as a title shows it: the card's trail has it whole. */
const brief = (reason: string) => (reason.length > 40 ? `${reason.slice(0, 40)}…` : reason);

/** What a step did, in words for the card: "已验收通过，隐患已销号". */
export function describeStep(step: LatestStep, view: Pick<HazardCardView, 'deadline' | 'status'>): string {
  switch (step.type) {
    case 'acknowledged':
      return '已确认接收，正在整改';
    case 'rectification_submitted':
      return '整改已提交，等待验收';
    case 'extension_requested':
      return `已申请延期至 ${step.newDeadline}，等待审批`;
    case 'extension_approved':
      return `已同意延期至 ${step.newDeadline}${step.requested ? `（申请至 ${step.requested}，审批时另定）` : ''}`;
    case 'extension_refused':
      return `不同意延期${step.reason ? `：${brief(step.reason)}` : ''}，整改期限仍为 ${view.deadline}`;
    case 'accepted':
      return view.status === 'pending_delisting' ? '已验收通过，等待挂牌单位摘牌' : '已验收通过，隐患已销号';
    case 'resumption_requested':
      return '已申请复产，等待行业主管部门复产验收';
    case 'delisted':
      return '已摘牌，隐患已销号';
    case 'rejected':
      return `已驳回：${brief(step.reason)}，退回整改${step.deadline ? `，期限 ${step.deadline}` : ''}`;
  }
}

/** Whether what a card of `kind` was sent for still stands (so its title still asks for it). */
function requestStands(kind: CardKind, view: HazardCardView): boolean {
  switch (kind) {
    case 'query':
      return true;
    case 'verify':
      return view.status === 'pending_verification';
    case 'extension':
      return view.extension !== null;
    case 'rejected':
      return view.status === 'rectifying' && view.latestStep?.type === 'rejected';
    case 'listing':
      return (
        view.listing === null &&
        (view.status === 'rectifying' || view.status === 'reported' || view.status === 'pending_verification')
      );
    case 'suspension':
      return view.suspensionProposal !== null;
    case 'resumption':
      return view.resumptionRequest !== null;
    case 'delisting':
      return view.status === 'pending_delisting';
    default:
      // The report and the notices of a new hazard: until someone takes the first step.
      return view.latestStep === null;
  }
}

/** The title of a card of `kind` showing the hazard as `view` has it. */
export function cardTitle(view: HazardCardView, kind: CardKind): string {
  if (requestStands(kind, view) || !view.latestStep) return CARD_TITLES[kind];
  return describeStep(view.latestStep, view);
}

/**
 * The card of `kind` for `audience`, as the hazard now stands; `echo`: a decision form sent back with what was typed
 * and what to fix.
 */
export function renderHazardCard(
  view: HazardCardView,
  audience: CardAudience,
  kind: CardKind,
  echo?: FormEcho,
): object {
  const step = view.latestStep;
  return buildHazardCard(view, {
    audience,
    ...(echo ? { echo } : {}),
    title: cardTitle(view, kind),
    ...(step ? { note: `最新进展：${describeStep(step, view)}（${step.who}，${step.at}）` } : {}),
    trailLimit: kind === 'query' ? 50 : 5,
    photoLimit: kind === 'query' ? 6 : 3,
  });
}
