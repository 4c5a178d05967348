/**
 * The campaign's own measures (存量/增量, 动态清零, 通报晾晒, inspection quality) for the signed-in viewer, and 责任倒查
 * on a major hazard's page. JSON and the xlsx behind `guards.json`; the scope is the viewer's, nothing else: the
 * overview's campaign.js and the hazard page's lookback.js read these.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { parseHazardCode } from '../../domain/hazard-code.js';
import { CampaignPeriodError, parseCampaignPeriod } from '../../domain/index.js';
import { HttpError } from '../../http/errors.js';
import { campaignConditions, campaignReport, lookbackOf } from '../../ledger/campaign/index.js';
import { buildRankingsXlsx } from '../../ledger/campaign/xlsx.js';
import { describeScope } from '../../ledger/scope.js';
import { reportingUnitName } from '../../ledger/statutory-xlsx.js';
import type { WebContext } from '../context.js';
import { viewerOf } from '../viewer.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

type PeriodQuery = { from?: unknown; to?: unknown };

export const campaignRoutes: FastifyPluginAsync<WebContext> = async (app, context) => {
  const { db, calendar, clock } = context;
  const preHandler = context.guards.json;

  async function reportFor(request: FastifyRequest<{ Querystring: PeriodQuery }>) {
    const now = clock.now();
    const query = request.query ?? {};
    const text = (name: 'from' | 'to') => {
      const value = query[name];
      if (value === undefined || value === '') return undefined;
      if (typeof value !== 'string') throw new HttpError(400, 'invalid_filter', `参数 ${name} 只能给一次`);
      return value;
    };
    try {
      const period = parseCampaignPeriod({ from: text('from'), to: text('to') }, calendar.localDate(now));
      return await campaignReport(db, { scopes: [viewerOf(request).scope], period, calendar, now });
    } catch (error) {
      if (error instanceof CampaignPeriodError) {
        throw new HttpError(400, 'invalid_filter', error.message, { parameter: error.parameter });
      }
      throw error;
    }
  }

  app.get<{ Querystring: PeriodQuery }>('/web/api/campaign', { preHandler }, async (request) => {
    const report = await reportFor(request);
    return { scopeName: await describeScope(db, viewerOf(request).scope), ...report };
  });

  app.get<{ Querystring: PeriodQuery }>('/web/campaign.xlsx', { preHandler }, async (request, reply) => {
    const report = await reportFor(request);
    const file = await buildRankingsXlsx({
      rankings: report.rankings,
      period: report.period,
      scopeName: await describeScope(db, viewerOf(request).scope),
      reportingUnit: await reportingUnitName(db, context.config.COUNTY_NAME),
    });
    const { from, to } = report.period;
    const fileName = `通报晾晒-${from}至${to}.xlsx`;
    return reply
      .header('content-type', XLSX)
      .header('cache-control', 'private, no-store')
      .header(
        'content-disposition',
        `attachment; filename="campaign-${from}-${to}.xlsx"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
      )
      .send(file);
  });

  // 404 alike for a code that is not a hazard, a hazard outside the viewer's scope and one that is not major: no hint.
  app.get<{ Params: { code: string } }>('/web/api/hazards/:code/lookback', { preHandler }, async (request) => {
    const parsed = parseHazardCode(request.params.code);
    const lookback = parsed
      ? await lookbackOf(db, {
          code: parsed.code,
          where: campaignConditions([viewerOf(request).scope]).hazards,
          timeZone: calendar.timeZone,
        })
      : null;
    if (!lookback) {
      throw new HttpError(404, 'hazard_not_found', '没有找到这条重大隐患（或它不在你可查看的范围内）');
    }
    return lookback;
  });
};
