/**
 * 通报晾晒 as an xlsx: four sheets (townships and departments, each by overdue rate and by median days to close),
 * worst first, each with a title row and a row naming the scope and period. Names are escaped as the ledger escapes
 * them (no cell is ever a formula); rates are numbers with a percent format, not text.
 */
import ExcelJS from 'exceljs';
import type { CampaignPeriod, RankedCounts } from '../../domain/index.js';
import { STATUTORY_PAGE_SETUP } from '../statutory-xlsx.js';
import { escapeCell } from '../xlsx.js';
import type { CampaignRankings } from './rankings.js';

export const RANKING_HEADERS = [
  '排名',
  '名称',
  '未闭环',
  '超期',
  '逾期率',
  '期内销号',
  '整改用时中位数（天）',
] as const;
const WIDTHS = [7, 24, 10, 10, 10, 10, 20];

export const RANKING_SHEETS = [
  { name: '乡镇-逾期率', title: '乡镇（街道）按逾期率排名', pick: (r: CampaignRankings) => r.townships.byOverdueRate },
  {
    name: '乡镇-整改用时',
    title: '乡镇（街道）按整改用时排名',
    pick: (r: CampaignRankings) => r.townships.byMedianDays,
  },
  {
    name: '部门-逾期率',
    title: '行业主管部门按逾期率排名',
    pick: (r: CampaignRankings) => r.departments.byOverdueRate,
  },
  {
    name: '部门-整改用时',
    title: '行业主管部门按整改用时排名',
    pick: (r: CampaignRankings) => r.departments.byMedianDays,
  },
] as const;

export async function buildRankingsXlsx(input: {
  rankings: CampaignRankings;
  period: CampaignPeriod;
  scopeName: string;
  reportingUnit: string;
}): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = escapeCell(input.reportingUnit);
  for (const sheet of RANKING_SHEETS) {
    const ws = workbook.addWorksheet(sheet.name, {
      pageSetup: { ...STATUTORY_PAGE_SETUP },
      views: [{ state: 'frozen', ySplit: 3 }],
    });
    ws.columns = WIDTHS.map((width) => ({ width }));
    ws.addRow([escapeCell(`${input.reportingUnit}隐患治理通报晾晒：${sheet.title}`)]);
    ws.mergeCells(1, 1, 1, RANKING_HEADERS.length);
    ws.getCell('A1').font = { bold: true, size: 14 };
    ws.addRow([escapeCell(`范围：${input.scopeName}`), '', `期间：${input.period.from} 至 ${input.period.to}`]);
    const header = ws.addRow([...RANKING_HEADERS]);
    header.font = { bold: true };
    ws.pageSetup.printTitlesRow = '3:3';
    sheet.pick(input.rankings).forEach((row: RankedCounts, i) => {
      const added = ws.addRow([
        i + 1,
        escapeCell(row.name),
        row.open,
        row.overdue,
        row.overdueRate,
        row.closed,
        row.medianDaysToClose ?? '—',
      ]);
      added.getCell(5).numFmt = '0.0%';
    });
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
