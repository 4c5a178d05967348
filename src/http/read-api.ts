/**
 * The read side over HTTP (interface.md): `/api/hazards`, `/api/hazards/:code` (with trail and photo links),
 * `/api/hazards/:code/photos/:id`, `/api/hazards/:code/documents/:name` (the PDFs), `/api/stats` (with the campaign's
 * own measures), `/api/campaign.xlsx` (通报晾晒), `/api/ledger.xlsx`, `/api/coverage` (inspection plans' coverage), and
 * the OpenAPI description at `/docs`.
 * A read token sees the county; `?scope=region:town-01` (or department:/enterprise:) narrows it.
 * Kept whole because every route shares the token-scope, scope and filter closures of the plugin.
 */
import { PassThrough } from 'node:stream';
import type { SQL } from 'drizzle-orm';
import { and, sql } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { parseScope } from '../directory/model.js';
import { parseHazardCode } from '../domain/hazard-code.js';
import {
  type Calendar,
  CampaignPeriodError,
  INSPECTION_CODE,
  INSPECTION_KINDS,
  inspectionKindSchema,
  parseCampaignPeriod,
} from '../domain/index.js';
import { isLocalDate } from '../domain/local-time.js';
import { currentDutyQuarter } from '../domain/statutory-period.js';
import { listDocuments, loadDocument } from '../hazards/documents/store.js';
import { planOfHazard } from '../hazards/plan-document.js';
import { coverageReport, UnknownPlanError } from '../inspections/coverage.js';
import { ensureCurrentDraws } from '../inspections/plans/store.js';
import { campaignReport } from '../ledger/campaign/index.js';
import { buildRankingsXlsx } from '../ledger/campaign/xlsx.js';
import { hazardPhoto, hazardPhotoList, hazardTrail } from '../ledger/detail.js';
import { FILTER_PARAMETERS, FilterError, filterCondition, parseFilters } from '../ledger/filters.js';
import {
  computeInspectionStats,
  findInspectionByCode,
  InspectionCursorError,
  type InspectionFilters,
  inspectionLedgerBatches,
  inspectionScopeCondition,
  listInspections,
} from '../ledger/inspections.js';
import { hazardJson } from '../ledger/present.js';
import {
  CursorError,
  DEFAULT_SORT,
  findHazardByCode,
  ledgerBatches,
  listHazards,
  SORTS,
  type Sort,
} from '../ledger/query.js';
import {
  COUNTY_SCOPE,
  describeScope,
  type ResolvedScope,
  resolveNamedScope,
  scopeCondition,
  tipScopeCondition,
  UnknownScopeError,
} from '../ledger/scope.js';
import { dutyStatus } from '../ledger/statistics-status.js';
import { computeStats } from '../ledger/stats.js';
import { parsePeriod, statutoryTable } from '../ledger/statutory.js';
import { buildCountyTableXlsx, countyTable, reportingUnitName } from '../ledger/statutory-xlsx.js';
import { computeTipStats } from '../ledger/tip-stats.js';
import { writeLedgerXlsx } from '../ledger/xlsx.js';
import { HttpError } from './errors.js';
import { DOCS_HTML, openApiDocument } from './openapi.js';
import { boundTokenScope, requireReadToken } from './read-auth.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const MAX_LIMIT = 200;
/** Units listed per plan by /api/coverage?units=1. */
const MAX_COVERAGE_UNITS = 10_000;

type Query = Record<string, unknown>;

export interface ReadApiRoutesOptions {
  config: Pick<Config, 'ADMIN_TOKEN' | 'API_TOKENS' | 'API_TOKEN_SCOPES' | 'COUNTY_NAME'>;
  db: Db;
  clock: Clock;
  /** The deployment's calendar (time zone, working days, holidays): overdue and due-soon mean what the sweep means. */
  calendar: Calendar;
}

export const readApiRoutes: FastifyPluginAsync<ReadApiRoutesOptions> = async (app, { config, db, clock, calendar }) => {
  const preHandler = requireReadToken(config);

  /** The scope a token is bound to (API_TOKEN_SCOPES), whatever else the request asks; undefined for a county token. */
  const tokenScope = (request: FastifyRequest): Promise<ResolvedScope | undefined> => boundTokenScope(db, request);

  /** The scope `?scope=` asks for (the county when absent); 400 when malformed or unknown. */
  async function requestedScope(query: Query): Promise<ResolvedScope> {
    const scopeText = query.scope;
    if (scopeText === undefined) return COUNTY_SCOPE;
    const parsed = typeof scopeText === 'string' ? parseScope(scopeText) : undefined;
    if (!parsed) {
      throw new HttpError(
        400,
        'invalid_scope',
        'scope 应为 county、region:<乡镇编码>、department:<部门编码> 或 enterprise:<企业编码>',
      );
    }
    try {
      return await resolveNamedScope(db, parsed);
    } catch (error) {
      if (error instanceof UnknownScopeError) {
        throw new HttpError(400, 'unknown_scope', `scope 中的编码“${parsed.code}”不存在（${parsed.kind}）`);
      }
      throw error;
    }
  }

  /**
   * The scope (county unless `?scope=`), the token's own scope and the filters as one condition on hazards; 400 for
   * anything malformed. A token bound to a township sees only it: asking for another scope narrows to nothing.
   */
  async function condition(request: FastifyRequest, query: Query): Promise<SQL | undefined> {
    const bound = await tokenScope(request);
    const scope = await requestedScope(query);
    try {
      const filters = parseFilters(query);
      return and(
        bound && scopeCondition(bound),
        scopeCondition(scope),
        await filterCondition(db, filters, calendar, clock.now()),
      );
    } catch (error) {
      if (error instanceof FilterError) {
        throw new HttpError(400, 'invalid_filter', error.message, { parameter: error.parameter });
      }
      throw error;
    }
  }

  /** The same scopes as a condition on inspections (检查记录 are seen by whoever sees the unit's hazards). */
  async function inspectionCondition(request: FastifyRequest, query: Query): Promise<SQL | undefined> {
    const bound = await tokenScope(request);
    return and(bound && inspectionScopeCondition(bound), inspectionScopeCondition(await requestedScope(query)));
  }

  app.get('/api/hazards', { preHandler }, async (request) => {
    const query = checkParameters(request, [...FILTER_PARAMETERS, 'scope', 'sort', 'limit', 'cursor']);
    const sort = (query.sort ?? DEFAULT_SORT) as Sort;
    if (!SORTS.includes(sort)) {
      throw new HttpError(400, 'invalid_sort', `sort 应为 ${SORTS.join('、')} 之一，收到“${String(query.sort)}”`);
    }
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new HttpError(400, 'invalid_limit', `limit 应为 1 到 ${MAX_LIMIT} 的整数，收到“${String(query.limit)}”`);
    }
    const where = await condition(request, query);
    try {
      const page = await listHazards(db, {
        where,
        sort,
        limit,
        cursor: typeof query.cursor === 'string' ? query.cursor : undefined,
      });
      const today = calendar.localDate(clock.now());
      return { items: page.rows.map((row) => hazardJson(row, today)), nextCursor: page.nextCursor };
    } catch (error) {
      if (error instanceof CursorError) throw new HttpError(400, 'invalid_cursor', error.message);
      throw error;
    }
  });

  async function findVisible(request: FastifyRequest<{ Params: { code: string } }>) {
    const query = checkParameters(request, ['scope']);
    const parsed = parseHazardCode(request.params.code);
    const where = await condition(request, query);
    const row = parsed ? await findHazardByCode(db, parsed.code, where ?? COUNTY_SCOPE_SQL) : null;
    if (!row) {
      throw new HttpError(
        404,
        'hazard_not_found',
        parsed
          ? `没有找到编号为 ${parsed.code} 的隐患（或它不在可查看的范围内）`
          : `“${request.params.code}”不是隐患编号；编号形如 YH-2026-000123`,
      );
    }
    return row;
  }

  app.get<{ Params: { code: string } }>('/api/hazards/:code', { preHandler }, async (request) => {
    const row = await findVisible(request);
    const today = calendar.localDate(clock.now());
    const photos = await hazardPhotoList(db, row.code);
    return {
      ...hazardJson(row, today),
      trail: await hazardTrail(db, row.code),
      plan: await planOfHazard(db, row.code, calendar),
      photos: photos.map((p) => ({ ...p, url: `/api/hazards/${row.code}/photos/${p.id}` })),
      documents: (await listDocuments(db, row.id)).map((d) => ({
        name: d.name,
        title: d.title,
        fileName: d.fileName,
        size: d.size,
        sha256: d.sha256,
        createdAt: d.createdAt.toISOString(),
        url: `/api/hazards/${row.code}/documents/${d.name}`,
      })),
    };
  });

  // A document kept with the hazard (隐患整改通知书 `notice`, 整改复查意见书 `review-1`…, 治理方案 `plan`), as PDF.
  app.get<{ Params: { code: string; name: string } }>(
    '/api/hazards/:code/documents/:name',
    { preHandler },
    async (request, reply) => {
      const row = await findVisible(request);
      const { name } = request.params;
      const document = /^[a-z0-9-]{1,40}$/.test(name) ? await loadDocument(db, row.id, name) : null;
      if (!document) {
        throw new HttpError(
          404,
          'document_not_found',
          `隐患 ${row.code} 没有名为“${name}”的文书；GET /api/hazards/${row.code} 的 documents 列出它的文书`,
        );
      }
      // An ASCII name for old clients, the Chinese one in RFC 5987's filename* for the rest.
      const disposition = `inline; filename="${row.code}-${name}.pdf"; filename*=UTF-8''${encodeURIComponent(document.fileName)}`;
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', disposition)
        .header('cache-control', 'private, max-age=300')
        .send(document.content);
    },
  );

  app.get<{ Params: { code: string; id: string } }>(
    '/api/hazards/:code/photos/:id',
    { preHandler },
    async (request, reply) => {
      const row = await findVisible(request);
      const id = Number(request.params.id);
      const photo = Number.isSafeInteger(id) ? await hazardPhoto(db, row.code, id) : null;
      if (!photo) {
        throw new HttpError(404, 'photo_not_found', `隐患 ${row.code} 没有编号为 ${request.params.id} 的照片`);
      }
      return reply
        .header('content-type', photo.contentType)
        .header('cache-control', 'private, max-age=86400')
        .send(photo.content);
    },
  );

  /** `?period=2026Q3|2026` as a statutory period (400 when malformed); undefined when absent. */
  function periodOf(query: Query) {
    if (query.period === undefined) return undefined;
    const period = typeof query.period === 'string' ? parsePeriod(query.period) : null;
    if (!period) {
      throw new HttpError(
        400,
        'invalid_period',
        `period 应为季度（如 2026Q3）或年度（如 2026），收到“${String(query.period)}”`,
      );
    }
    return period;
  }

  /** The token's scope and the requested one (both apply). */
  async function scopesOf(request: FastifyRequest, query: Query): Promise<ResolvedScope[]> {
    const bound = await tokenScope(request);
    return [...(bound ? [bound] : []), await requestedScope(query)];
  }

  app.get('/api/stats', { preHandler }, async (request) => {
    const query = checkParameters(request, [...FILTER_PARAMETERS, 'scope', 'period']);
    const where = await condition(request, query);
    const period = periodOf(query);
    // 统计分析表: who in the scope has confirmed the period's table (the current quarter's without ?period=).
    const statisticsDuty = await dutyStatus(
      db,
      await scopesOf(request, query),
      period ?? currentDutyQuarter(calendar.localDate(clock.now())),
    );
    if (period) return { ...(await statutoryTable(db, { where, period, calendar })), statisticsDuty };
    const [hazardStats, inspectionStats, campaign] = [
      await computeStats(db, { where, calendar, now: clock.now() }),
      await computeInspectionStats(db, { where: await inspectionCondition(request, query) }),
      await campaignOf(request, query),
    ];
    // 群众举报: the reader's scopes (the token's and the one asked for) both hold the tip.
    const tipWhere = and(...(await scopesOf(request, query)).map(tipScopeCondition)) ?? sql`true`;
    const tips = await computeTipStats(db, { where: tipWhere, calendar });
    return { ...hazardStats, inspections: inspectionStats, tips, statisticsDuty, campaign };
  });

  /**
   * The campaign's own measures for the token's and the requested scope over `?from=&to=` (default: the campaign
   * year to today). The other ledger filters do not narrow them: 存量 is found before the period by definition.
   */
  async function campaignOf(request: FastifyRequest, query: Query) {
    const now = clock.now();
    try {
      const period = parseCampaignPeriod(
        { from: query.from as string | undefined, to: query.to as string | undefined },
        calendar.localDate(now),
      );
      return await campaignReport(db, { scopes: await scopesOf(request, query), period, calendar, now });
    } catch (error) {
      if (error instanceof CampaignPeriodError) {
        throw new HttpError(400, 'invalid_filter', error.message, { parameter: error.parameter });
      }
      throw error;
    }
  }

  // 通报晾晒 as a file: the rankings of the campaign object, four sheets.
  app.get('/api/campaign.xlsx', { preHandler }, async (request, reply) => {
    const query = checkParameters(request, ['scope', 'from', 'to']);
    const campaign = await campaignOf(request, query);
    const scopes = await scopesOf(request, query);
    const narrowest = scopes.find((s) => !s.county);
    const file = await buildRankingsXlsx({
      rankings: campaign.rankings,
      period: campaign.period,
      scopeName: narrowest ? await describeScope(db, narrowest) : '全县',
      reportingUnit: await reportingUnitName(db, config.COUNTY_NAME),
    });
    const { from, to } = campaign.period;
    const fileName = `通报晾晒-${from}至${to}.xlsx`;
    return reply
      .header('content-type', XLSX)
      .header(
        'content-disposition',
        `attachment; filename="campaign-${from}-${to}.xlsx"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
      )
      .send(file);
  });

  app.get('/api/stats.xlsx', { preHandler }, async (request, reply) => {
    const query = checkParameters(request, [...FILTER_PARAMETERS, 'scope', 'period']);
    const where = await condition(request, query);
    const today = calendar.localDate(clock.now());
    const period = periodOf(query) ?? currentDutyQuarter(today);
    const scopes = await scopesOf(request, query);
    const table = await countyTable(db, { where, scopes, period, calendar });
    const narrowest = scopes.find((s) => !s.county);
    const file = await buildCountyTableXlsx({
      table,
      reportingUnit: await reportingUnitName(db, config.COUNTY_NAME),
      scopeName: narrowest ? await describeScope(db, narrowest) : null,
      today,
    });
    const fileName = `隐患排查治理统计分析表-${period.key}.xlsx`;
    return reply
      .header('content-type', XLSX)
      .header(
        'content-disposition',
        `attachment; filename="stats-${period.key}.xlsx"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
      )
      .send(file);
  });

  app.get('/api/ledger.xlsx', { preHandler }, async (request, reply) => {
    const query = checkParameters(request, [...FILTER_PARAMETERS, 'scope']);
    const where = await condition(request, query);
    const now = clock.now();
    const fileName = `隐患台账-${calendar.localDate(now)}.xlsx`;
    const stream = new PassThrough();
    const inspections = inspectionLedgerBatches(db, await inspectionCondition(request, query));
    const scopes = await scopesOf(request, query);
    const narrowest = scopes.find((s) => !s.county);
    const reportingUnit = await reportingUnitName(db, config.COUNTY_NAME);
    const scopeName = narrowest ? await describeScope(db, narrowest) : '全县';
    const tipWhere = and(...scopes.map(tipScopeCondition)) ?? sql`true`;
    const tips = await computeTipStats(db, { where: tipWhere, calendar });
    const options = { calendar, now, inspections, reportingUnit, scopeName, tips };
    writeLedgerXlsx(stream, ledgerBatches(db, where), options).catch((error: unknown) => {
      request.log.error({ err: error }, 'ledger export failed mid-stream');
      stream.destroy(error as Error);
    });
    return reply
      .header('content-type', XLSX)
      .header(
        'content-disposition',
        `attachment; filename="ledger.xlsx"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
      )
      .send(stream);
  });

  app.get('/api/inspections', { preHandler }, async (request) => {
    const query = checkParameters(request, ['scope', 'from', 'to', 'kind', 'enterprise', 'limit', 'cursor']);
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new HttpError(400, 'invalid_limit', `limit 应为 1 到 ${MAX_LIMIT} 的整数，收到“${String(query.limit)}”`);
    }
    const where = await inspectionCondition(request, query);
    try {
      const page = await listInspections(db, {
        where,
        filters: inspectionFilters(query),
        limit,
        cursor: typeof query.cursor === 'string' ? query.cursor : undefined,
      });
      return { items: page.rows, nextCursor: page.nextCursor };
    } catch (error) {
      if (error instanceof InspectionCursorError) throw new HttpError(400, 'invalid_cursor', error.message);
      throw error;
    }
  });

  app.get<{ Params: { code: string } }>('/api/inspections/:code', { preHandler }, async (request) => {
    const query = checkParameters(request, ['scope']);
    const code = request.params.code.trim().toUpperCase();
    const found = INSPECTION_CODE.test(code)
      ? await findInspectionByCode(db, code, await inspectionCondition(request, query))
      : null;
    if (!found) {
      throw new HttpError(
        404,
        'inspection_not_found',
        INSPECTION_CODE.test(code)
          ? `没有找到编号为 ${code} 的检查记录（或它不在可查看的范围内）`
          : `“${request.params.code}”不是检查编号；编号形如 JC-2026-000123`,
      );
    }
    return found;
  });

  app.get('/api/coverage', { preHandler }, async (request) => {
    const query = checkParameters(request, ['scope', 'plan', 'units', 'date', 'limit']);
    const within = await tokenScope(request);
    const scope = await requestedScope(query);
    const now = clock.now();
    const today = calendar.localDate(now);
    const date = query.date === undefined ? today : String(query.date);
    if (!isLocalDate(date)) {
      throw new HttpError(400, 'invalid_date', `date 应为日期 YYYY-MM-DD（默认今天），收到“${date}”`);
    }
    const units = flag(query.units, 'units');
    const limit = query.limit === undefined ? 1000 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_COVERAGE_UNITS) {
      throw new HttpError(
        400,
        'invalid_limit',
        `limit（每个计划列出的企业数）应为 1 到 ${MAX_COVERAGE_UNITS} 的整数，收到“${String(query.limit)}”`,
      );
    }
    const plan = query.plan === undefined ? undefined : String(query.plan);
    // A sampling plan's draw is made at the period's first use: reading coverage is one.
    await ensureCurrentDraws(db, today, now);
    try {
      const report = await coverageReport(db, {
        scope,
        within,
        date,
        planCode: plan,
        units: units ? { limit } : undefined,
      });
      return { scope: typeof query.scope === 'string' ? query.scope : 'county', ...report };
    } catch (error) {
      if (error instanceof UnknownPlanError) throw new HttpError(404, 'plan_not_found', error.message);
      throw error;
    }
  });

  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_HTML));
  app.get('/docs/openapi.json', async () => openApiDocument());
};

const COUNTY_SCOPE_SQL = scopeCondition(COUNTY_SCOPE);

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `from`, `to` (local days), `kind` and `enterprise` of /api/inspections; 400 naming the one that is wrong. */
function inspectionFilters(query: Query): InspectionFilters {
  const filters: InspectionFilters = {};
  for (const key of ['from', 'to'] as const) {
    const value = query[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !LOCAL_DATE.test(value) || Number.isNaN(Date.parse(value))) {
      throw new HttpError(400, 'invalid_filter', `${key} 应为日期 YYYY-MM-DD，收到“${String(value)}”`, {
        parameter: key,
      });
    }
    filters[key] = value;
  }
  if (query.kind !== undefined) {
    const kind = inspectionKindSchema.safeParse(query.kind);
    if (!kind.success) {
      throw new HttpError(400, 'invalid_filter', `kind 应为 ${INSPECTION_KINDS.join('、')} 之一`, {
        parameter: 'kind',
      });
    }
    filters.kind = kind.data;
  }
  if (query.enterprise !== undefined) {
    if (typeof query.enterprise !== 'string' || query.enterprise === '') {
      throw new HttpError(400, 'invalid_filter', 'enterprise 应为单位编码', { parameter: 'enterprise' });
    }
    filters.enterpriseCode = query.enterprise;
  }
  return filters;
}

/** Rejects parameters the route does not know (a typo would otherwise silently widen the answer). */
function checkParameters(request: FastifyRequest, allowed: readonly string[]): Query {
  const query = (request.query ?? {}) as Query;
  const unknown = Object.keys(query).filter((key) => !allowed.includes(key));
  if (unknown.length) {
    throw new HttpError(400, 'unknown_parameter', `不认识的参数：${unknown.join('、')}；可用：${allowed.join('、')}`);
  }
  for (const key of [
    'sort',
    'limit',
    'cursor',
    'scope',
    'period',
    'from',
    'to',
    'kind',
    'enterprise',
    'plan',
    'units',
    'date',
  ]) {
    if (Array.isArray(query[key])) throw new HttpError(400, 'invalid_parameter', `参数 ${key} 只能给一次`);
  }
  return query;
}

/** `1`/`true` or `0`/`false` (absent: false). */
function flag(value: unknown, name: string): boolean {
  if (value === undefined || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true' || value === '') return true;
  throw new HttpError(400, 'invalid_parameter', `参数 ${name} 应为 1 或 0（true 或 false），收到“${String(value)}”`);
}
