/**
 * The submitted inspection's card (JSON 2.0), in place of the checklist: its number, what was inspected and found,
 * and what happens next — the report forms sent for failed items, the 立查立改 hazards registered and closed. A clean
 * inspection says 未发现隐患: that record is the proof of coverage.
 */
import { describeCounts, INSPECTION_KIND_LABELS, type InspectionKind, type ResultCounts } from '../../domain/index.js';

const plain = (content: string) => ({ tag: 'plain_text', content });

export interface InspectionSummary {
  code: string;
  unitName: string;
  date: string;
  kind: InspectionKind;
  checklist: { name: string; sector: string };
  /** The inspectors' names, the lead first. */
  inspectors: readonly string[];
  counts: ResultCounts;
  findings: string;
  photoCount: number;
  /** Report forms sent for failed items, and to whom (the lead inspector). */
  reportForms: { count: number; to: string; toAsker: boolean };
  /** The 立查立改 hazards registered and closed (their codes), and the one that took the photos, if any. */
  fixedOnSite: readonly string[];
  photosWith: string | null;
  /** Failed items whose hazards have since been reported (their codes), when the card is shown again later. */
  reported?: readonly string[];
}

export function buildInspectionSummaryCard(s: InspectionSummary): object {
  const clean = s.counts.fail === 0 && s.counts.fixed_on_site === 0;
  const lines = [
    `**单位**：${s.unitName}`,
    `**日期**：${s.date}　**类型**：${INSPECTION_KIND_LABELS[s.kind]}`,
    `**检查表**：${s.checklist.sector} · ${s.checklist.name}`,
    `**检查人**：${s.inspectors.join('、')}`,
    `**结果**：${describeCounts(s.counts)}`,
  ];
  if (s.findings) lines.push(`**检查情况**：${s.findings}`);
  if (s.photoCount > 0)
    lines.push(`**照片**：${s.photoCount} 张${s.photosWith ? `（随立查立改隐患 ${s.photosWith} 登记）` : ''}`);
  const next: string[] = [];
  if (clean) next.push('✅ **未发现隐患**。本次检查已记录，计入检查覆盖。');
  if (s.counts.fail > 0) {
    next.push(
      `📝 ${s.counts.fail} 张隐患上报表已发给${s.reportForms.toAsker ? '您' : `检查人 ${s.reportForms.to}`}：请补全位置、整改措施、验收标准和期限后逐张提交，隐患即进入整改闭环。`,
    );
  }
  if (s.reported && s.reported.length > 0) next.push(`已上报：${s.reported.join('、')}`);
  if (s.fixedOnSite.length > 0) {
    next.push(`🔧 ${s.fixedOnSite.length} 项立查立改已登记销号：${s.fixedOnSite.join('、')}`);
  }
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: `检查已提交 ${s.code}` } },
    header: {
      title: plain(`检查已提交 ${s.code}`),
      subtitle: plain(clean ? '未发现隐患' : `发现隐患 ${s.counts.fail + s.counts.fixed_on_site} 项`),
      template: clean ? 'green' : s.counts.fail > 0 ? 'orange' : 'turquoise',
    },
    body: {
      elements: [
        { tag: 'markdown', content: lines.join('\n') },
        { tag: 'hr' },
        { tag: 'markdown', content: next.join('\n') },
      ],
    },
  };
}
