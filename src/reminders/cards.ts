/**
 * Reminder, escalation and daily digest cards (督办提醒 / 升级 / 每日简报). JSON 2.0, `update_multi: true`.
 * Kept small on purpose: a sweep may queue hundreds of thousands of them, and every byte is written to the outbox.
 * Kept whole because the three cards share their line helpers and byte-saving conventions, read best side by side.
 */
import { cardValue, type ListFilter } from '../feishu/card-actions.js';
import { DETAIL_LABEL, openUrlButton } from '../hazards/cards/detail-link.js';
import { showHazardValue, tappableHazard } from '../hazards/cards/hazard-link.js';

export type ReminderChannel = 'card' | 'mention' | 'urgent' | 'urgent_sms' | 'urgent_phone';

export interface ReminderCardInput {
  hazardCode: string;
  enterpriseName: string;
  description: string;
  /** 整改期限, local date. */
  deadline: string;
  gradeLabel: string;
  /** Whole days past the deadline (0 on the first day), or null when not overdue yet. */
  overdueDays: number | null;
  /** Days left until the deadline (before-deadline reminders), or null. */
  daysLeft: number | null;
  /** The step's label, e.g. `超期 3 天`. */
  stepLabel: string;
  channel: ReminderChannel;
  /** Raises county supervision (挂牌督办) with this step. */
  raisesSupervision: boolean;
  /** Who must act: the responsible person's name, or null when nobody is assigned. */
  responsibleName: string | null;
  /** Everyone told by this step, e.g. `李四（乡镇分管领导）`. */
  notified: string[];
  /** Whom the step could not reach and whom it told instead (see compose.ts fallbackNote). */
  fallbackNotes?: string[];
  /** open_ids to @mention (group chat card only). */
  mentionOpenIds?: string[];
  /** A 复查 step's: the rectification waiting for verification (the card then speaks of it, not of the deadline). */
  verification?: VerificationWait;
  /** A hazard clock's step (治理方案 …): the card speaks of that duty and its due date, not of the deadline. */
  clock?: ClockWait;
  /** The hazard's web page (查看详情, hazards/cards/detail-link.ts); absent when the service has no web view. */
  detailUrl?: string;
}

/** A hazard clock's duty as its reminder cards say it (domain/hazard-clocks.ts). */
export interface ClockWait {
  /** e.g. 治理方案 */
  label: string;
  due: string;
  /** Days to the due date (before it), or null once it has passed. */
  daysLeft: number | null;
  /** Whole days past the due date (0 on the day after it), or null before it. */
  overdueDays: number | null;
  dayUnit: '个工作日' | '天';
  /** What the card says of the due date (e.g. a return does not move it). */
  note: string;
  /** The due date's name (治理方案提交期限), what is undone (尚未审核通过) and what is asked, of whom. */
  dueName: string;
  undone: string;
  ask: string;
}

const clockTiming = (c: ClockWait) =>
  c.overdueDays === null
    ? `距${c.dueName}还有 ${c.daysLeft ?? 0} ${c.dayUnit}`
    : c.overdueDays === 0
      ? `已到${c.dueName}，${c.undone}`
      : `已超过${c.dueName} ${c.overdueDays} ${c.dayUnit}`;

/** A submitted rectification not yet verified, as the 复查 cards say it. */
export interface VerificationWait {
  /** Local date of the latest 提交整改. */
  submittedOn: string;
  /** Whole days waited since the end of that day, in `dayUnit`. */
  waitedDays: number;
  dayUnit: '个工作日' | '天';
  /** The verifier awaited (the reporting inspector). */
  verifierName: string | null;
  /** The step tells the verifier (not only their leaders): the card asks them to go, not to see that they go. */
  toVerifier: boolean;
}

const MAX_DESCRIPTION = 200;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Escapes the characters that Feishu markdown would read as markup in user-supplied text. */
function plain(text: string): string {
  return text.replace(/[<>*_~`[\]]/g, (c) => `\\${c}`);
}

/** In a group: @ everyone told, above the hazards. */
const mentionLine = (openIds: string[]) => ({
  tag: 'markdown',
  content: `${openIds.map((id) => `<at id=${id}></at>`).join(' ')} 请关注以下隐患：`,
});

/** `整改已于 2026-05-14 提交，已等待验收 3 个工作日` */
const waited = (v: VerificationWait) => `整改已于 ${v.submittedOn} 提交，已等待验收 ${v.waitedDays} ${v.dayUnit}`;

/** What a 复查 card asks: the verifier to go; leaders to see that the named verifier goes. */
function verificationAsk(v: VerificationWait): string {
  if (v.toVerifier) return `${waited(v)}，请尽快到现场复查。`;
  const who = v.verifierName ? `验收人${plain(v.verifierName)}` : '验收人';
  return `${waited(v)}，${who}尚未复查，请督促其尽快到现场复查。`;
}

function headline(input: ReminderCardInput): { title: string; template: string } {
  const c = input.clock;
  if (c) {
    return {
      title: `${c.label}${c.overdueDays === null ? '提醒' : '逾期'}：${clockTiming(c)}`,
      template: c.overdueDays === null ? 'yellow' : 'red',
    };
  }
  const v = input.verification;
  if (v) {
    return {
      title: `${v.toVerifier ? '复查提醒' : '复查超时'}：整改已等待验收 ${v.waitedDays} ${v.dayUnit}`,
      template: input.channel === 'card' ? 'orange' : 'red',
    };
  }
  if (input.overdueDays === null) {
    if (input.daysLeft !== null && input.stepLabel.includes('期限')) {
      return { title: `整改提醒：距整改期限还有 ${input.daysLeft} 天`, template: 'yellow' };
    }
    if (input.gradeLabel === '重大隐患') return { title: '重大事故隐患报告', template: 'red' };
    return { title: `督办提醒：${input.stepLabel}`, template: 'orange' };
  }
  const days = input.overdueDays === 0 ? '已超期' : `已超期 ${input.overdueDays} 天`;
  return { title: `督办升级：隐患${days}`, template: input.channel === 'card' ? 'orange' : 'red' };
}

export function buildReminderCard(input: ReminderCardInput): object {
  const { title, template } = headline(input);
  const v = input.verification;
  // Where the hazard stands: the verifier awaited, or the deadline and who must rectify.
  const c = input.clock;
  const standing = c
    ? [
        `**${c.dueName}**：${c.due}（${clockTiming(c)}；${c.note}）`,
        `**整改责任人**：${input.responsibleName ? plain(input.responsibleName) : '尚未指定'}`,
        `**督办层级**：${input.stepLabel}`,
      ]
    : v
      ? [`**验收人**：${v.verifierName ? plain(v.verifierName) : '—'}（尚未复查）`, `**督办层级**：${input.stepLabel}`]
      : [
          `**整改期限**：${input.deadline}${
            input.overdueDays !== null
              ? input.overdueDays === 0
                ? '（已超期）'
                : `（已超期 ${input.overdueDays} 天）`
              : input.daysLeft !== null
                ? `（剩余 ${input.daysLeft} 天）`
                : ''
          }`,
          `**整改责任人**：${input.responsibleName ? plain(input.responsibleName) : '尚未指定'}`,
          `**督办层级**：${input.stepLabel}${input.raisesSupervision ? '，已列为县级督办' : ''}`,
        ];
  const lines = [
    `**隐患编号**：${input.hazardCode}（${input.gradeLabel}）`,
    `**单位**：${plain(input.enterpriseName)}`,
    `**隐患描述**：${plain(clip(input.description, MAX_DESCRIPTION))}`,
    ...standing,
    `**通知对象**：${input.notified.map(plain).join('、') || '—'}`,
  ];
  if (input.fallbackNotes?.length) lines.push(`**未能直接通知**：${input.fallbackNotes.map(plain).join('；')}`);
  const act = c
    ? `请整改责任人尽快提交${c.label}（每一部分均须填写），由行业主管部门审核通过；各级责任人请督促落实。`
    : v
      ? verificationAsk(v)
      : input.overdueDays !== null
        ? '请整改责任人立即整改并提交整改情况；各级责任人请督促落实。'
        : '请整改责任人按期完成整改，并在卡片中提交整改情况。';
  const elements: object[] = [];
  if (input.mentionOpenIds?.length) elements.push(mentionLine(input.mentionOpenIds));
  // The hazard's living card, sent to whoever clicks: the responsible person acts there, a leader remarks.
  const livingCard = (text: string, type: string) => ({
    tag: 'button',
    text: { tag: 'plain_text', content: text },
    type,
    behaviors: [{ type: 'callback', value: showHazardValue(input.hazardCode) }],
  });
  elements.push(
    { tag: 'markdown', content: lines.join('\n') },
    { tag: 'markdown', content: act },
    // With a web view, 查看详情 opens the hazard's page (as on every card) and the living card keeps a button of its own.
    input.detailUrl
      ? {
          tag: 'column_set',
          columns: [
            {
              tag: 'column',
              width: 'auto',
              elements: [openUrlButton(input.detailUrl, { type: 'primary', compact: true })],
            },
            { tag: 'column', width: 'auto', elements: [livingCard('隐患卡片', 'default')] },
          ],
        }
      : livingCard(DETAIL_LABEL, 'primary'),
  );
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: `${title}｜${input.hazardCode}` } },
    header: { title: { tag: 'plain_text', content: title }, template },
    body: { elements },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Several reminders to one person (or one group) in one sweep batch

/** Items listed on a reminder list card; the rest are counted and reached through the list buttons. */
export const REMINDER_LIST_SHOWN = 10;

/** A reminder as a list card shows it: who was told is on each step's own card only. */
export type ReminderListItem = Omit<ReminderCardInput, 'notified' | 'mentionOpenIds'>;

export interface ReminderListCardInput {
  /** Every reminder of the batch for this recipient, most urgent first (only the first few are listed). */
  items: ReminderListItem[];
  /** open_ids to @mention (group chat card only). */
  mentionOpenIds?: string[];
}

/** One listed reminder; tapping it sends the hazard's living card. */
function itemLine(item: ReminderListItem): string {
  const v = item.verification;
  const timing =
    item.overdueDays !== null
      ? item.overdueDays === 0
        ? '已超期'
        : `超期 ${item.overdueDays} 天`
      : item.daysLeft !== null
        ? `剩余 ${item.daysLeft} 天`
        : '';
  const supervision = item.raisesSupervision ? '，列为县级督办' : '';
  // A fallback is said on the list too: whoever was told instead must learn it here, not only on the step's card.
  const fallback = item.fallbackNotes?.length
    ? `｜未能直接通知：${plain(clip(item.fallbackNotes.join('；'), 80))}`
    : '';
  const c = item.clock;
  const when = c
    ? `${c.dueName} ${c.due}（${clockTiming(c)}）`
    : v
      ? waited(v)
      : `期限 ${item.deadline}${timing ? `（${timing}）` : ''}`;
  // The page is a link of its own inside the tap target: a tap elsewhere on the item still sends the living card.
  const page = item.detailUrl ? `｜[${DETAIL_LABEL}](${item.detailUrl})` : '';
  return `**${item.hazardCode}**（${item.gradeLabel}）${plain(clip(item.enterpriseName, 30))}：${plain(
    clip(item.description, 40),
  )}｜${when}｜${item.stepLabel}${supervision}${fallback}${page}`;
}

/**
 * One card for all of a recipient's reminders in a sweep batch, instead of one card per hazard: a unit with
 * fifty overdue hazards gets one message, not fifty (and Feishu allows five a second per person).
 */
export function buildReminderListCard(input: ReminderListCardInput): object {
  const { items } = input;
  const overdue = items.filter((i) => i.overdueDays !== null).length;
  const major = items.some((i) => i.gradeLabel === '重大隐患');
  const loud = items.some((i) => i.channel !== 'card');
  const title = overdue > 0 ? `督办升级：${overdue} 项隐患已超期` : `督办提醒：${items.length} 项隐患待处理`;
  const template = overdue > 0 && (loud || major) ? 'red' : 'orange';
  const shown = items.slice(0, REMINDER_LIST_SHOWN);
  const elements: object[] = [];
  if (input.mentionOpenIds?.length) elements.push(mentionLine(input.mentionOpenIds));
  elements.push(
    {
      tag: 'markdown',
      content: `本次督办共 **${items.length}** 项隐患${overdue > 0 ? `，其中已超期 **${overdue}** 项` : ''}（点一项看详情）：`,
    },
    ...shown.map((item) => tappableHazard(item.hazardCode, itemLine(item))),
  );
  if (items.length > shown.length) {
    elements.push({ tag: 'markdown', content: `……另有 ${items.length - shown.length} 项，请点击下方按钮查看全部。` });
  }
  elements.push({
    tag: 'markdown',
    content: items.every((i) => i.verification)
      ? '以上隐患的整改已提交、尚待验收：请验收人尽快到现场复查；各级责任人请督促落实。'
      : items.every((i) => i.clock)
        ? `以上重大隐患的${items[0]!.clock!.label}${items[0]!.clock!.undone}：${items[0]!.clock!.ask}；各级责任人请督促落实。`
        : overdue > 0
          ? '请整改责任人立即整改并提交整改情况；各级责任人请督促落实。'
          : '请整改责任人按期完成整改，并在隐患卡片中提交整改情况。',
  });
  elements.push({
    tag: 'column_set',
    columns: [
      ...(overdue > 0
        ? [{ tag: 'column', width: 'auto', elements: [listButton('查看超期', 'overdue', undefined, 'danger')] }]
        : []),
      { tag: 'column', width: 'auto', elements: [listButton('全部未闭环', 'open', undefined, 'primary')] },
    ],
  });
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: title } },
    header: { title: { tag: 'plain_text', content: title }, template },
    body: { elements },
  };
}

/** A button that sends the clicker a list of hazards (chat/queries.ts); without a scope, the clicker's own. */
function listButton(text: string, filter: ListFilter, scope: string | undefined, type = 'default') {
  return {
    tag: 'button',
    text: { tag: 'plain_text', content: text },
    type,
    size: 'small',
    behaviors: [{ type: 'callback', value: cardValue('list', scope ? { filter, scope } : { filter }) }],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Daily digest

export interface DigestItem {
  code: string;
  enterpriseName: string;
  deadline: string;
  /** Whole days overdue (red items) or days left (yellow items). */
  days: number;
}

export interface DigestCardInput {
  /** Local date of the digest. */
  day: string;
  leaderName: string;
  /** e.g. `城关镇`, `县应急管理局`, `全县`. */
  scopeName: string;
  counts: { new: number; dueSoon: number; overdue: number; onTrack: number; closed: number; open: number };
  overdue: DigestItem[];
  dueSoon: DigestItem[];
  dueSoonDays: number;
  /** Gaps in the directory (county leaders only); the card says nothing of them when there are none. */
  directoryGaps?: number;
  /** Inspection coverage of the leader's scope in the plans' current periods; no line without planned units. */
  coverage?: DigestCoverage | null;
  /** The web view's overview (查看详情, hazards/cards/detail-link.ts); absent when the service has no web view. */
  overviewUrl?: string;
}

/** 检查覆盖: each unit of the scope's plans once, by its worst status. */
export interface DigestCoverage {
  units: number;
  done: number;
  due: number;
  overdue: number;
  neverInspected: number;
}

export function buildDigestCard(input: DigestCardInput, scopeKey: string): object {
  const c = input.counts;
  const summary = [
    `**${input.scopeName}** 截至 ${input.day} 08:30（近 24 小时新增、销号）：`,
    `🆕 新增 **${c.new}** 条　✅ 销号 **${c.closed}** 条　未闭环 **${c.open}** 条`,
    `🔴 已超期 **${c.overdue}** 条　🟡 ${input.dueSoonDays} 天内到期 **${c.dueSoon}** 条　🟢 正常 **${c.onTrack}** 条`,
  ];
  const elements: object[] = [{ tag: 'markdown', content: summary.join('\n') }];
  // The items a leader most needs to see, each one tap from its living card (where they can remark: 督办意见).
  if (input.overdue.length) {
    elements.push(
      { tag: 'markdown', content: '**🔴 超期最久**' },
      ...input.overdue.map((i) =>
        tappableHazard(i.code, `${i.code} ${plain(clip(i.enterpriseName, 30))}，期限 ${i.deadline}，超期 ${i.days} 天`),
      ),
    );
  }
  if (input.dueSoon.length) {
    elements.push(
      { tag: 'markdown', content: '**🟡 即将到期**' },
      ...input.dueSoon.map((i) =>
        tappableHazard(i.code, `${i.code} ${plain(clip(i.enterpriseName, 30))}，期限 ${i.deadline}，剩余 ${i.days} 天`),
      ),
    );
  }
  if (c.new + c.closed + c.open === 0) elements.push({ tag: 'markdown', content: '辖区内暂无隐患记录。' });
  const coverage = input.coverage;
  if (coverage && coverage.units > 0) {
    const never = coverage.neverInspected ? `，其中从未检查 **${coverage.neverInspected}** 家` : '';
    elements.push({
      tag: 'markdown',
      content:
        `🔍 **检查覆盖**（检查计划本期）：应检 ${coverage.units} 家，已检 **${coverage.done}**，待检 ${coverage.due}，` +
        `${coverage.overdue ? '🔴 ' : ''}逾期未检 **${coverage.overdue}**${never}`,
    });
  }
  if (input.directoryGaps) {
    elements.push({
      tag: 'markdown',
      content:
        `⚠️ **名录缺口 ${input.directoryGaps} 处**：有的责任人空缺或联系不上，提醒已改发上一级。` +
        '请完善组织名录（管理员可调用 GET /api/admin/directory/gaps 查看明细）。',
    });
  }
  elements.push({
    tag: 'column_set',
    columns: [
      { tag: 'column', width: 'auto', elements: [listButton('查看超期', 'overdue', scopeKey, 'danger')] },
      { tag: 'column', width: 'auto', elements: [listButton('即将到期', 'due_soon', scopeKey)] },
      { tag: 'column', width: 'auto', elements: [listButton('今日新增', 'new', scopeKey)] },
      { tag: 'column', width: 'auto', elements: [listButton('全部未闭环', 'open', scopeKey, 'primary')] },
    ],
  });
  // The overview of the leader's scope: the charts and lists the card only counts.
  if (input.overviewUrl) elements.push(openUrlButton(input.overviewUrl));
  const title = `每日隐患督办简报（${input.day}）`;
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: `${title}：超期 ${c.overdue} 条` } },
    header: {
      title: { tag: 'plain_text', content: title },
      subtitle: { tag: 'plain_text', content: `${input.leaderName}｜${input.scopeName}` },
      template: c.overdue > 0 ? 'red' : c.dueSoon > 0 ? 'yellow' : 'green',
    },
    body: { elements },
  };
}
