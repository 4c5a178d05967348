/**
 * The unit's 统计分析表 card (statistics duty): the unit's figures for the period and, for its principal, the button
 * 确认 — the principal's confirmation is the table's signature. After confirming, the same card says who confirmed
 * and when. A relay card (the principal is not in Feishu) carries the figures without the button.
 */
import type { StatutoryPeriod } from '../../domain/statutory-period.js';
import { cardValue } from '../../feishu/card-actions.js';

export interface UnitFigures {
  general: { found: number; rectified: number };
  major: { found: number; rectified: number; supervised: number };
  /** Hazards (any period) still open at the end of the period. */
  openAtEnd: number;
  /** The unit's major hazards in the period (found in it, or open during it), most recent first. */
  majors: { code: string; description: string; status: string; listed: boolean; suspended: boolean }[];
}

/** A rate with no base is "—", never 0% or 100%. */
export function rateText(done: number, base: number): string {
  return base ? `${((done / base) * 100).toFixed(1)}%` : '—';
}

export interface StatisticsDutyCardInput {
  unitName: string;
  unitCode: string;
  principalName: string | null;
  period: StatutoryPeriod;
  figures: UnitFigures;
  /** `ask`: the principal's card with 确认; `confirmed`: after confirming; `relay`: told in the principal's place. */
  mode: 'ask' | 'confirmed' | 'relay';
  confirmed?: { by: string; at: string } | null;
  /** The relay card's request (whom to get the signature from). */
  note?: string;
  /** The reminder's words above the figures. */
  reminder?: string;
}

export function buildStatisticsDutyCard(input: StatisticsDutyCardInput): object {
  const { period, figures: f } = input;
  const title = `${period.label}隐患排查治理统计分析表`;
  const elements: object[] = [];
  if (input.reminder) elements.push({ tag: 'markdown', content: `**${input.reminder}**` });
  elements.push({
    tag: 'markdown',
    content: [
      `**单位**：${input.unitName}　**统计期间**：${period.from} 至 ${period.to}`,
      `**一般隐患**：排查 **${f.general.found}** 项，已整改 **${f.general.rectified}** 项，整改率 **${rateText(f.general.rectified, f.general.found)}**`,
      `**重大隐患**：排查 **${f.major.found}** 项，已整改 **${f.major.rectified}** 项，整改率 **${rateText(f.major.rectified, f.major.found)}**，挂牌督办 **${f.major.supervised}** 项`,
      `**期末未整改**：${f.openAtEnd} 项`,
    ].join('\n'),
  });
  if (f.majors.length > 0) {
    elements.push({
      tag: 'markdown',
      content: `**重大隐患**\n${f.majors
        .map(
          (m) =>
            `- ${m.code} ${m.description.slice(0, 40)}（${m.status}${m.listed ? '，挂牌督办' : ''}${m.suspended ? '，停产停业' : ''}）`,
        )
        .join('\n')}`,
    });
  }
  elements.push({
    tag: 'markdown',
    text_size: 'notation',
    content:
      '治理方案与隐患治理资金投入本系统未记录，请单位在报送的纸质表中另行填写。' +
      `依据总局令第16号第十四条，本表经单位主要负责人签字后于 ${period.due} 前报送。`,
  });
  if (input.mode === 'ask') {
    elements.push({
      tag: 'button',
      text: { tag: 'plain_text', content: '确认' },
      type: 'primary',
      behaviors: [
        { type: 'callback', value: cardValue('statistics.confirm', { unit: input.unitCode, period: period.key }) },
      ],
    });
    elements.push({
      tag: 'markdown',
      text_size: 'notation',
      content: `请主要负责人${input.principalName ?? ''}核对后点击「确认」：确认即视为签字，记录确认人和时间。`,
    });
  } else if (input.mode === 'confirmed' && input.confirmed) {
    elements.push({ tag: 'markdown', content: `✅ **已确认**：${input.confirmed.by}，${input.confirmed.at}` });
  } else if (input.note) {
    elements.push({ tag: 'markdown', content: input.note });
  }
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: `${title}：${input.unitName}` } },
    header: {
      title: { tag: 'plain_text', content: title },
      subtitle: { tag: 'plain_text', content: `${input.unitName} · ${period.due} 前报送` },
      template: input.mode === 'confirmed' ? 'green' : 'blue',
    },
    body: { elements },
  };
}
