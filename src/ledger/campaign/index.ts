/**
 * The campaign's own measures for a scope and period (product.md "The campaign's own measures"; the rules in
 * src/domain/campaign.ts): 存量/增量 major hazards and 动态清零, 通报晾晒 rankings, inspection quality. 责任倒查 for
 * one hazard is lookback.ts; the rankings as xlsx are xlsx.ts.
 */
import { and, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { addCalendarDays, type Calendar, type CampaignPeriod, campaignYearOf } from '../../domain/index.js';
import { inspectionScopeCondition } from '../inspections.js';
import { type ResolvedScope, scopeCondition } from '../scope.js';
import { type CampaignMajors, majorsOf } from './majors.js';
import { type InspectionQuality, inspectionQuality } from './quality.js';
import { type CampaignRankings, rankingsOf } from './rankings.js';
import { scanCampaignHazards } from './scan.js';
import { townshipsByRegion } from './townships.js';

export type { Lookback, LookbackPass } from './lookback.js';
export { lookbackOf } from './lookback.js';
export type { CampaignMajors, CampaignRankings, InspectionQuality };

export interface CampaignReport {
  period: CampaignPeriod;
  /** The campaign year (the year of `to`): 存量 is what it inherited, 增量 what it found. */
  campaignYear: number;
  majors: CampaignMajors;
  rankings: CampaignRankings;
  quality: InspectionQuality;
}

/** The scopes (all apply: a token's and the one asked for) as conditions on hazards and on inspections. */
export function campaignConditions(scopes: readonly ResolvedScope[]): {
  hazards: SQL | undefined;
  inspections: SQL | undefined;
} {
  return {
    hazards: and(...scopes.map(scopeCondition)),
    inspections: and(...scopes.map(inspectionScopeCondition)),
  };
}

/** Only the hazard figures (存量/增量, 动态清零, rankings): what the 统计 card shows. */
export async function campaignHazardFigures(
  db: Db,
  input: { where: SQL | undefined; period: CampaignPeriod; calendar: Calendar; now: Date },
): Promise<{ majors: CampaignMajors; rankings: CampaignRankings }> {
  const townships = await townshipsByRegion(db);
  const rows = await scanCampaignHazards(db, {
    where: input.where,
    period: input.period,
    calendar: input.calendar,
    today: input.calendar.localDate(input.now),
  });
  return { majors: majorsOf(rows), rankings: await rankingsOf(db, rows, townships) };
}

export async function campaignReport(
  db: Db,
  input: {
    scopes: readonly ResolvedScope[];
    period: CampaignPeriod;
    calendar: Calendar;
    now: Date;
  },
): Promise<CampaignReport> {
  const where = campaignConditions(input.scopes);
  const { period, calendar } = input;
  const figures = await campaignHazardFigures(db, { where: where.hazards, period, calendar, now: input.now });
  const quality = await inspectionQuality(db, {
    inspectionWhere: where.inspections,
    hazardWhere: where.hazards,
    period,
    timeZone: calendar.timeZone,
    fromInstant: calendar.startOfLocalDay(period.from),
    endInstant: calendar.startOfLocalDay(addCalendarDays(period.to, 1)),
  });
  return { period, campaignYear: campaignYearOf(period), ...figures, quality };
}
