/** 存量 / 增量 major hazards and 动态清零, summed over the scan's groups (each hazard is in exactly one). */
import type { ScanRow } from './scan.js';

export interface CampaignMajors {
  /** 存量: found before the campaign year, not 销号 at its start. open: not 销号 at the period's end; closed: within it. */
  stock: { total: number; open: number; closed: number };
  /** 增量: found in the campaign year up to the period's end. */
  increment: { total: number; open: number; closed: number };
  /** 动态清零: reached when no major hazard is open past its deadline at the period's end (see src/domain/campaign.ts). */
  dynamicZero: { reached: boolean; openPastDeadline: number };
}

export function majorsOf(rows: readonly ScanRow[]): CampaignMajors {
  const sum = { stock: 0, stockOpen: 0, stockClosed: 0, increment: 0, incrementOpen: 0, incrementClosed: 0, late: 0 };
  for (const r of rows) {
    sum.stock += r.stock;
    sum.stockOpen += r.stockOpen;
    sum.stockClosed += r.stockClosed;
    sum.increment += r.increment;
    sum.incrementOpen += r.incrementOpen;
    sum.incrementClosed += r.incrementClosed;
    sum.late += r.openPastDeadline;
  }
  return {
    stock: { total: sum.stock, open: sum.stockOpen, closed: sum.stockClosed },
    increment: { total: sum.increment, open: sum.incrementOpen, closed: sum.incrementClosed },
    dynamicZero: { reached: sum.late === 0, openPastDeadline: sum.late },
  };
}
