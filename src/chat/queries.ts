/**
 * The read side in chat: `我的` (open hazards I answer for or see, paged), `台账` (the xlsx of my scope, sent as a file),
 * `统计` (the statistics card; `统计 2026Q3` the statutory table), and the digest's list buttons. Every answer is
 * scoped by the asker's roles (src/ledger/scope.ts); a clicked button lists what the *clicker* may see.
 */
import { Writable } from 'node:stream';
import { and, count, gte, inArray, lte, ne, type SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { hazards } from '../db/schema/index.js';
import { parseScope } from '../directory/model.js';
import { addCalendarDays, type Calendar, defaultCampaignPeriod } from '../domain/index.js';
import { currentDutyQuarter } from '../domain/statutory-period.js';
import { STATUS_LABELS } from '../domain/vocabulary.js';
import { cardValue, type ListFilter } from '../feishu/card-actions.js';
import type { FeishuClient } from '../feishu/client.js';
import type { CardActionResponse } from '../feishu/events.js';
import { buildToInspectCard, TO_INSPECT_LISTED } from '../inspections/cards/to-inspect-card.js';
import { coverageTotals, toInspectFor } from '../inspections/coverage.js';
import { ensureCurrentDraws } from '../inspections/plans/store.js';
import { campaignHazardFigures } from '../ledger/campaign/index.js';
import { buildListCard, type ListCardItem } from '../ledger/cards/ledger-list.js';
import { buildStatsCard, buildStatutoryCard } from '../ledger/cards/ledger-stats.js';
import { overdueCondition } from '../ledger/filters.js';
import { computeInspectionStats, inspectionLedgerBatches, inspectionScopeCondition } from '../ledger/inspections.js';
import { rowLight } from '../ledger/present.js';
import { CursorError, ledgerBatches, listHazards } from '../ledger/query.js';
import {
  describeScope,
  findViewerByOpenId,
  hasAreaScope,
  resolveNamedScope,
  scopeCondition,
  tipScopeCondition,
  type Viewer,
} from '../ledger/scope.js';
import { dutyLine, dutyStatus } from '../ledger/statistics-status.js';
import { computeStats } from '../ledger/stats.js';
import { parsePeriod, statutoryTable } from '../ledger/statutory.js';
import { buildCountyTableXlsx, countyTable, reportingUnitName } from '../ledger/statutory-xlsx.js';
import { computeTipStats } from '../ledger/tip-stats.js';
import { writeLedgerXlsx } from '../ledger/xlsx.js';
import { type ChatAnswer, type ChatTarget, cardAnswer, enqueueAnswer, textAnswer } from './answer.js';
import type { CardClick } from './card-click.js';

export interface QueryDeps {
  db: Db;
  logger: Logger;
  notifyOutbox: () => void;
  clock: Clock;
  calendar: Calendar;
  feishu: Pick<FeishuClient, 'uploadFile'>;
  /** COUNTY_NAME: the reporting unit on the files (统计分析表). */
  countyName?: string;
}

const PAGE_SIZE = 8;
const LIST_TITLES: Record<ListFilter, string> = {
  open: '我的隐患（未闭环）',
  overdue: '超期隐患',
  due_soon: '即将到期的隐患',
  new: '近 24 小时新增隐患',
};

const NOT_IN_DIRECTORY =
  '你还不在组织名录中，暂时无法查看隐患。请联系管理员把你加入名录（人员表中填写手机号或飞书 OpenID）。';

async function send(deps: QueryDeps, target: ChatTarget, answer: ChatAnswer) {
  await enqueueAnswer(deps.db, target, answer);
  deps.notifyOutbox();
}

const sendText = (deps: QueryDeps, target: ChatTarget, text: string, topic: string) =>
  send(deps, target, textAnswer(text, topic));

function listCondition(filter: ListFilter, calendar: Calendar, now: Date): SQL {
  const today = calendar.localDate(now);
  switch (filter) {
    case 'overdue':
      return overdueCondition(today);
    case 'due_soon':
      return and(
        inArray(hazards.status, ['reported', 'rectifying']),
        gte(hazards.deadline, today),
        lte(hazards.deadline, addCalendarDays(today, 3)),
      )!;
    case 'new':
      return and(ne(hazards.status, 'closed'), gte(hazards.reportedAt, new Date(now.getTime() - 86_400_000)))!;
    default:
      return ne(hazards.status, 'closed');
  }
}

/** The list card for a viewer: page `page` (1-based) starting after `cursor`. */
async function listCard(
  deps: QueryDeps,
  viewer: Viewer,
  input: { filter: ListFilter; scopeKey?: string | undefined; cursor?: string | undefined; page: number },
): Promise<object> {
  const now = deps.clock.now();
  const conditions = [scopeCondition(viewer.scope), listCondition(input.filter, deps.calendar, now)];
  // A digest button names the digest's scope: narrow to it (never widen: the viewer's own scope still applies).
  const named = input.scopeKey ? parseScope(input.scopeKey) : undefined;
  if (named && named.kind !== 'county') {
    try {
      conditions.push(scopeCondition(await resolveNamedScope(deps.db, named)));
    } catch {
      // A scope renamed since the digest went out: the viewer's own scope is still right.
    }
  }
  const where = and(...conditions);
  const [total] = await deps.db.select({ n: count() }).from(hazards).where(where);
  const page = await listHazards(deps.db, { where, sort: 'deadline', limit: PAGE_SIZE, cursor: input.cursor });
  const today = deps.calendar.localDate(now);
  const items: ListCardItem[] = page.rows.map((row) => ({
    code: row.code,
    enterpriseName: row.enterpriseName,
    townshipName: row.townshipName,
    description: row.description,
    deadline: row.deadline,
    statusLabel: STATUS_LABELS[row.status] ?? row.status,
    light: rowLight(row, today),
    major: row.grade === 'major',
  }));
  const scopeName = await describeScope(deps.db, viewer.scope);
  return buildListCard({
    title: LIST_TITLES[input.filter],
    subtitle: `${scopeName} · 共 ${total?.n ?? 0} 条`,
    items,
    page: input.page,
    next: page.nextCursor
      ? cardValue('ledger_page', {
          filter: input.filter,
          cursor: page.nextCursor,
          page: input.page + 1,
          ...(input.scopeKey ? { scope: input.scopeKey } : {}),
        })
      : null,
    emptyText: input.filter === 'open' ? '没有未闭环的隐患。' : '没有符合条件的隐患。',
  });
}

/** `我的` */
export async function answerMine(deps: QueryDeps, input: { openId: string; to: ChatTarget }): Promise<void> {
  const viewer = await findViewerByOpenId(deps.db, input.openId);
  if (!viewer) return sendText(deps, input.to, NOT_IN_DIRECTORY, 'mine');
  const card = await listCard(deps, viewer, { filter: 'open', page: 1 });
  await send(deps, input.to, cardAnswer(card, 'mine'));
}

/** `台账`: the xlsx of the asker's scope, built and uploaded here (after the ack), then sent through the outbox. */
export async function answerLedger(deps: QueryDeps, input: { openId: string; to: ChatTarget }): Promise<void> {
  const viewer = await findViewerByOpenId(deps.db, input.openId);
  if (!viewer) return sendText(deps, input.to, NOT_IN_DIRECTORY, 'ledger');
  const now = deps.clock.now();
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const finished = new Promise<void>((resolve, reject) => {
    sink.on('finish', resolve);
    sink.on('error', reject);
  });
  const written = await writeLedgerXlsx(sink, ledgerBatches(deps.db, scopeCondition(viewer.scope)), {
    calendar: deps.calendar,
    now,
    reportingUnit: await reportingUnitName(deps.db, deps.countyName),
    scopeName: await describeScope(deps.db, viewer.scope),
    inspections: inspectionLedgerBatches(deps.db, inspectionScopeCondition(viewer.scope)),
    tips: await computeTipStats(deps.db, { where: tipScopeCondition(viewer.scope), calendar: deps.calendar }),
  });
  await finished;
  const scopeName = await describeScope(deps.db, viewer.scope);
  if (written.hazards === 0 && written.inspections === 0) {
    return sendText(deps, input.to, `${scopeName}范围内暂无隐患和检查记录，台账为空。`, 'ledger');
  }
  const fileName = `隐患台账-${scopeName.slice(0, 30)}-${deps.calendar.localDate(now)}.xlsx`;
  const fileKey = await deps.feishu.uploadFile({ file: Buffer.concat(chunks), fileName, fileType: 'xls' });
  await send(deps, input.to, { msgType: 'file', content: { file_key: fileKey }, topic: 'ledger' });
}

/** `统计`, or `统计 2026Q3` / `统计 2026` for the statutory table. */
export async function answerStats(
  deps: QueryDeps,
  input: { openId: string; argument: string; to: ChatTarget },
): Promise<void> {
  const viewer = await findViewerByOpenId(deps.db, input.openId);
  if (!viewer) return sendText(deps, input.to, NOT_IN_DIRECTORY, 'stats');
  const scopeName = await describeScope(deps.db, viewer.scope);
  const where = scopeCondition(viewer.scope);
  const argument = input.argument.trim();
  if (argument) {
    const period = parsePeriod(argument.normalize('NFKC'));
    if (!period) {
      return sendText(
        deps,
        input.to,
        `没有看懂“${argument}”。发送「统计」看当前统计；「统计 2026Q3」看季度统计分析表；「统计 2026」看年度统计分析表。`,
        'stats',
      );
    }
    const table = await statutoryTable(deps.db, { where, period, calendar: deps.calendar });
    const duty = dutyLine(await dutyStatus(deps.db, viewer.scope, period));
    await send(deps, input.to, cardAnswer(buildStatutoryCard({ scopeName, table, duty }), 'stats'));
    // The file handed upward as is: built and uploaded here, after the ack (as 台账), not in a button's 3 seconds.
    const today = deps.calendar.localDate(deps.clock.now());
    const file = await buildCountyTableXlsx({
      table: await countyTable(deps.db, { where, scopes: [viewer.scope], period, calendar: deps.calendar }),
      reportingUnit: await reportingUnitName(deps.db, deps.countyName),
      scopeName: viewer.scope.county ? null : scopeName,
      today,
    });
    const fileName = `隐患排查治理统计分析表-${period.key}-${scopeName.slice(0, 30)}.xlsx`;
    const fileKey = await deps.feishu.uploadFile({ file, fileName, fileType: 'xls' });
    return send(deps, input.to, { msgType: 'file', content: { file_key: fileKey }, topic: 'stats' });
  }
  const stats = await computeStats(deps.db, { where, calendar: deps.calendar, now: deps.clock.now() });
  const inspections = await computeInspectionStats(deps.db, { where: inspectionScopeCondition(viewer.scope) });
  const tips = await computeTipStats(deps.db, { where: tipScopeCondition(viewer.scope), calendar: deps.calendar });
  const quarter = currentDutyQuarter(deps.calendar.localDate(deps.clock.now()));
  // Only for someone who answers for units (a township, a department, the county, a unit): not a person alone.
  const duty = hasAreaScope(viewer.scope)
    ? `${dutyLine(await dutyStatus(deps.db, viewer.scope, quarter))}\n发送「统计 ${quarter.key}」获取本季度统计分析表（xlsx 文件，可直接上报）。`
    : undefined;
  const period = defaultCampaignPeriod(deps.calendar.localDate(deps.clock.now()));
  const figures = await campaignHazardFigures(deps.db, {
    where,
    period,
    calendar: deps.calendar,
    now: deps.clock.now(),
  });
  const campaign = { period, ...figures };
  await send(
    deps,
    input.to,
    cardAnswer(buildStatsCard({ scopeName, stats, inspections, tips, duty, campaign }), 'stats'),
  );
}

/**
 * `待检`: the units due or overdue for inspection in the asker's scope (the inspection plans' current periods),
 * nearest due first, with the scope's coverage. A sampling plan's draw is made here if this is its period's first use.
 */
export async function answerToInspect(deps: QueryDeps, input: { openId: string; to: ChatTarget }): Promise<void> {
  const viewer = await findViewerByOpenId(deps.db, input.openId);
  if (!viewer) return sendText(deps, input.to, NOT_IN_DIRECTORY, 'coverage');
  const now = deps.clock.now();
  const today = deps.calendar.localDate(now);
  await ensureCurrentDraws(deps.db, today, now);
  const card = buildToInspectCard({
    scopeName: await describeScope(deps.db, viewer.scope),
    today,
    totals: await coverageTotals(deps.db, viewer.scope, today),
    toInspect: await toInspectFor(deps.db, viewer.scope, today, { limit: TO_INSPECT_LISTED }),
  });
  await send(deps, input.to, cardAnswer(card, 'coverage'));
}

/** 下一页 on a list card: the next page in place of the clicked one. */
export async function nextListPage(deps: QueryDeps, click: CardClick<'ledger_page'>): Promise<CardActionResponse> {
  const { filter, scope, cursor, page } = click.value;
  return answerWithList(deps, click, { filter, scopeKey: scope, cursor, page }, async (card) => ({
    card: { type: 'raw', data: card },
  }));
}

/** A list button of the digest: the digest stays as it is, the list arrives as a new message to the clicker. */
export async function sendListFromDigest(deps: QueryDeps, click: CardClick<'list'>): Promise<CardActionResponse> {
  const { filter, scope } = click.value;
  return answerWithList(deps, click, { filter, scopeKey: scope, page: 1 }, async (card) => {
    await enqueueAnswer(deps.db, { openId: click.operatorOpenId }, cardAnswer(card, 'list'));
    return { toast: { type: 'info', content: '已发送列表' } };
  });
}

/** The list the *clicker* may see (never the scope of whoever got the card), handed to `answer`. */
async function answerWithList<A extends 'ledger_page' | 'list'>(
  deps: QueryDeps,
  click: CardClick<A>,
  input: Parameters<typeof listCard>[2],
  answer: (card: object) => Promise<CardActionResponse>,
): Promise<CardActionResponse> {
  const viewer = await findViewerByOpenId(deps.db, click.operatorOpenId);
  if (!viewer) return { toast: { type: 'warning', content: NOT_IN_DIRECTORY } };
  try {
    return await answer(await listCard(deps, viewer, input));
  } catch (error) {
    if (error instanceof CursorError)
      return { toast: { type: 'warning', content: '该列表已过期，请重新发送「我的」' } };
    throw error;
  }
}

/** Routes `我的`, `台账`, `统计`, `待检` (typed or from the menu) to their answers; false for any other command. */
export async function answerQuery(
  deps: QueryDeps,
  command: { name: string; argument: string },
  openId: string,
  to: ChatTarget,
): Promise<boolean> {
  if (command.name === 'mine') await answerMine(deps, { openId, to });
  else if (command.name === 'ledger') await answerLedger(deps, { openId, to });
  else if (command.name === 'stats') await answerStats(deps, { openId, argument: command.argument, to });
  else if (command.name === 'coverage') await answerToInspect(deps, { openId, to });
  else return false;
  return true;
}
