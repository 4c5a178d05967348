/**
 * 待检: the units an inspector (or a leader) has to inspect in their scope, nearest due first, the overdue ones first
 * and red, a unit never inspected in the campaign marked. Answers `待检` in chat and is the weekly card on Mondays.
 */
import type { CoverageCounts, ToInspectUnit } from '../coverage.js';

/** Units listed on the card; the rest are counted ("还有 N 家"). */
export const TO_INSPECT_LISTED = 20;

export interface ToInspectCardInput {
  /** e.g. `城关镇`, `全县`. */
  scopeName: string;
  today: string;
  totals: CoverageCounts;
  toInspect: { total: number; units: ToInspectUnit[] };
  /** The weekly card says so in its title. */
  weekly?: boolean;
}

export function buildToInspectCard(input: ToInspectCardInput): object {
  const { totals, toInspect } = input;
  const elements: object[] = [];
  if (totals.units === 0) {
    elements.push({
      tag: 'markdown',
      content: `${input.scopeName}范围内目前没有检查计划要求检查的单位。检查计划由部门或乡镇在管理接口中设定（PUT /api/admin/plans）。`,
    });
  } else {
    const rate = totals.units ? Math.round((totals.done / totals.units) * 1000) / 10 : 0;
    const never = totals.neverInspected ? `，其中从未检查 **${totals.neverInspected}** 家` : '';
    elements.push({
      tag: 'markdown',
      content:
        `**${input.scopeName}**（截至 ${input.today}，检查计划本期）：应检 ${totals.units} 家，已检 **${totals.done}**（${rate}%），` +
        `待检 ${totals.due}，${totals.overdue ? '🔴 ' : ''}逾期未检 **${totals.overdue}**${never}`,
    });
  }
  if (toInspect.units.length > 0) {
    elements.push({
      tag: 'markdown',
      content: toInspect.units.map(unitLine).join('\n'),
    });
    const more = toInspect.total - toInspect.units.length;
    if (more > 0) elements.push({ tag: 'markdown', content: `还有 ${more} 家未列出（按截止日期排序，先列逾期的）。` });
    elements.push({
      tag: 'markdown',
      content: '到现场后发送「检查」开始检查；没有发现隐患的检查也请提交，它是“查过了”的凭据。',
    });
  } else if (totals.units > 0) {
    elements.push({ tag: 'markdown', content: '✅ 本期应检的单位都已检查。' });
  }
  const title = input.weekly ? `本周待检单位（${input.today}）` : '待检单位';
  return {
    schema: '2.0',
    config: {
      update_multi: true,
      summary: { content: `${title}：待检 ${toInspect.total} 家，逾期 ${totals.overdue} 家` },
    },
    header: {
      title: { tag: 'plain_text', content: title },
      subtitle: { tag: 'plain_text', content: input.scopeName },
      template: totals.overdue > 0 ? 'red' : toInspect.total > 0 ? 'yellow' : 'green',
    },
    body: { elements },
  };
}

function unitLine(unit: ToInspectUnit): string {
  const name = plain(unit.enterprise.name);
  const last = unit.neverInspected ? '**从未检查**' : unit.lastInspectedAt ? `上次 ${unit.lastInspectedAt}` : '';
  const when = unit.status === 'overdue' ? `🔴 逾期（应于 ${unit.dueBy} 前）` : `应于 ${unit.dueBy} 前`;
  return `- ${when} **${name}**（${plain(unit.township.name)}）${last ? `，${last}` : ''}`;
}

/** Markdown that a unit's name cannot break (a name with * or [ shows as typed). */
function plain(text: string): string {
  return text.replace(/[*_`[\]<>~]/g, (c) => `\\${c}`);
}
