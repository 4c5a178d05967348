/** The `统计` card and the statutory table card (统计分析表). JSON 2.0, markdown tables. */
import type { CampaignPeriod } from '../../domain/campaign.js';
import type { CampaignMajors, CampaignRankings } from '../campaign/index.js';
import type { InspectionStats } from '../inspections.js';
import type { HazardStats } from '../stats.js';
import type { StatutoryTable } from '../statutory.js';
import { type TipStats, tipStatsLines } from '../tip-stats.js';

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;

function table(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '｜')).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function buildStatsCard(input: {
  scopeName: string;
  stats: HazardStats;
  inspections?: InspectionStats;
  /** 群众举报 of the scope. */
  tips?: TipStats;
  /** The statistics duty's line (本季度统计分析表：已确认 x/y，未确认：…). */
  duty?: string;
  /** The campaign's own measures for the campaign year to today (存量/增量, 动态清零, the worst townships). */
  campaign?: { period: CampaignPeriod; majors: CampaignMajors; rankings: CampaignRankings };
}): object {
  const s = input.stats;
  const t = s.totals;
  const m = s.majorUnderSupervision;
  const elements: object[] = [
    {
      tag: 'markdown',
      content:
        `共 **${t.total}** 条，未闭环 **${t.open}** 条，已销号 **${t.closed}** 条\n` +
        `🔴 超期 **${t.overdue}** 条，逾期率 **${percent(t.overdueRate)}**（超期 ÷ 未闭环）`,
    },
  ];
  if (input.campaign) elements.push({ tag: 'markdown', content: campaignLines(input.campaign) });
  if (input.inspections) elements.push({ tag: 'markdown', content: inspectionLines(input.inspections) });
  const tipLines = input.tips ? tipStatsLines(input.tips) : null;
  if (tipLines) elements.push({ tag: 'markdown', content: tipLines });
  if (input.duty) elements.push({ tag: 'markdown', content: input.duty });
  if (t.total === 0) {
    elements.push({ tag: 'markdown', content: '范围内暂无隐患记录。' });
  } else {
    elements.push(
      {
        tag: 'markdown',
        content: `**按乡镇**\n${table(
          ['乡镇', '总数', '未闭环', '超期'],
          s.byTownship.map((r) => [r.name, r.total, r.open, r.overdue]),
        )}`,
      },
      {
        tag: 'markdown',
        content: `**按行业**\n${table(
          ['行业', '总数', '未闭环', '超期'],
          s.bySector.map((r) => [r.sector, r.total, r.open, r.overdue]),
        )}`,
      },
      {
        tag: 'markdown',
        content:
          `**按等级**：${s.byGrade.map((g) => `${g.label} ${g.total}（未闭环 ${g.open}）`).join('，')}\n` +
          `**按状态**：${s.byStatus.map((x) => `${x.label} ${x.count}`).join('，')}`,
      },
      {
        tag: 'markdown',
        content:
          `**未销号的重大隐患**：${m.total} 条（挂牌督办 ${m.listed}，停产停业 ${m.suspended}）` +
          (m.items.length
            ? `\n${m.items
                .map(
                  (i) =>
                    `- ${i.overdue ? '🔴' : '•'} ${i.code} ${i.enterpriseName}（${i.townshipName}）${i.listed ? '，挂牌督办' : ''}，期限 ${i.deadline}`,
                )
                .join('\n')}`
            : ''),
      },
      {
        tag: 'markdown',
        content: `**近 ${s.trend.length} 周趋势**（周一起）\n${table(
          ['周', '新增', '销号'],
          s.trend.map((w) => [w.weekStart.slice(5), w.reported, w.closed]),
        )}`,
      },
    );
  }
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: `隐患统计：未闭环 ${t.open}，超期 ${t.overdue}` } },
    header: {
      title: { tag: 'plain_text', content: '隐患统计' },
      subtitle: { tag: 'plain_text', content: `${input.scopeName} · 截至 ${s.today}` },
      template: t.overdue > 0 ? 'red' : 'blue',
    },
    body: { elements },
  };
}

export function buildStatutoryCard(input: { scopeName: string; table: StatutoryTable; duty?: string }): object {
  const { period, rows, total } = input.table;
  const line = (r: StatutoryTable['total']) => [
    r.name,
    r.general.found,
    r.general.rectified,
    percent(r.general.rate),
    r.major.found,
    r.major.rectified,
    percent(r.major.rate),
    r.major.supervised,
    r.openAtEnd,
  ];
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: `${period.label}隐患排查治理统计分析表` } },
    header: {
      title: { tag: 'plain_text', content: `${period.label}隐患排查治理统计分析表` },
      subtitle: {
        tag: 'plain_text',
        content: `${input.scopeName} · ${period.from} 至 ${period.to} · ${period.due} 前报送`,
      },
      template: 'blue',
    },
    body: {
      elements: [
        {
          tag: 'markdown',
          content: table(
            [
              '区域',
              '一般·排查',
              '一般·已整改',
              '一般·整改率',
              '重大·排查',
              '重大·已整改',
              '重大·整改率',
              '重大·挂牌督办',
              '期末未整改',
            ],
            [...rows.map(line), line(total)],
          ),
        },
        {
          tag: 'markdown',
          content:
            '依据《安全生产事故隐患排查治理暂行规定》（总局令第16号）第十四条：季度表于下一季度 15 日前、年度表于次年 1 月 31 日前报送。',
          text_size: 'notation',
        },
        ...(input.duty ? [{ tag: 'markdown', content: input.duty }] : []),
      ],
    },
  };
}

/** 检查: government inspections and self-inspections apart (监管 vs. 主体责任). */
function inspectionLines(i: InspectionStats): string {
  const g = i.government;
  const own = i.self;
  const lines = [
    `**检查**：政府检查 **${g.inspections}** 次，覆盖 **${g.unitsCovered}** 家单位，未发现隐患 ${g.clean} 次；` +
      `发现隐患 ${g.hazardsFound} 条（每次 ${g.hazardsPerInspection.toFixed(2)} 条），其中立查立改 ${g.fixedOnSite} 条（${percent(g.fixedOnSiteShare)}）`,
    `**企业自查**：${own.inspections} 次，${own.unitsCovered} 家单位，发现隐患 ${own.hazardsFound} 条，其中立查立改 ${own.fixedOnSite} 条`,
  ];
  return lines.join('\n');
}

/** WORST_LISTED townships by overdue rate, only those with something overdue (a clean township is not 晾晒). */
const WORST_LISTED = 3;

/** 治本攻坚: 存量/增量 major hazards, 动态清零 yes/no, the worst townships by overdue rate. */
function campaignLines(c: NonNullable<Parameters<typeof buildStatsCard>[0]['campaign']>): string {
  const { stock, increment, dynamicZero } = c.majors;
  const worst = c.rankings.townships.byOverdueRate.filter((t) => t.overdue > 0).slice(0, WORST_LISTED);
  return [
    `**治本攻坚（${c.period.from} 至 ${c.period.to}）**`,
    `存量重大隐患 **${stock.total}** 条（期间销号 ${stock.closed}，未销号 ${stock.open}）；` +
      `增量重大隐患 **${increment.total}** 条（期间销号 ${increment.closed}，未销号 ${increment.open}）`,
    dynamicZero.reached
      ? '动态清零：✅ 已实现（没有超过期限未销号的重大隐患）'
      : `动态清零：❌ 未实现，**${dynamicZero.openPastDeadline}** 条重大隐患超过期限未销号`,
    worst.length
      ? `逾期率最高的乡镇：${worst.map((t) => `${t.name} ${percent(t.overdueRate)}（${t.overdue}/${t.open}）`).join('，')}`
      : '各乡镇均无超期隐患',
  ].join('\n');
}
