import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { ImportMode } from '../directory/model.js';
import type { Calendar } from '../domain/index.js';
import { isLocalDate } from '../domain/local-time.js';
import { drawsJson, importPlans, listDraws, listPlans, PlanError, redraw } from '../inspections/plans/store.js';
import { requireAdminToken } from './admin-auth.js';
import { HttpError } from './errors.js';

/** Problems listed in one answer; the rest are counted (a wrong file has hundreds, the first ones show what to fix). */
const LISTED_ISSUES = 100;
/** A county's plans are tens; a generous limit still refuses a runaway upload. */
const PLANS_BODY_LIMIT = 8 * 1024 * 1024;

export interface PlansAdminRoutesOptions {
  config: Pick<Config, 'ADMIN_TOKEN'>;
  db: Db;
  clock: Clock;
  /** The deployment's calendar: "today" and a redraw's period are local dates. */
  calendar: Calendar;
}

/**
 * 检查计划 admin routes, behind the admin token:
 * PUT /api/admin/plans (JSON; `?mode=replace` default, or `merge`), GET /api/admin/plans,
 * POST /api/admin/plans/:code/redraw `{"period"?: <a date in the period, default today>, "reason"}` (the new draw),
 * GET /api/admin/plans/:code/draws (the audit list of a plan's draws, superseded ones included).
 */
export const plansAdminRoutes: FastifyPluginAsync<PlansAdminRoutesOptions> = async (scope, options) => {
  const { db, clock, calendar } = options;
  scope.addHook('onRequest', requireAdminToken(options.config));

  scope.put('/api/admin/plans', { bodyLimit: PLANS_BODY_LIMIT }, async (request, reply) => {
    const mode = importMode(request);
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new HttpError(415, 'unsupported_media_type', '检查计划只接受 JSON（application/json）：{"plans": [ … ]}');
    }
    const result = await importPlans(db, request.body, { mode, now: clock.now() });
    if (!result.ok) {
      const listed = result.issues.slice(0, LISTED_ISSUES);
      const more = result.issues.length - listed.length;
      throw new HttpError(
        400,
        'invalid_plans',
        `检查计划有 ${result.issues.length} 处问题，未导入任何内容；请按 details 逐条修改后重新导入` +
          (more > 0 ? `（details 列出前 ${listed.length} 处，另有 ${more} 处未列出）` : ''),
        listed,
      );
    }
    request.log.info({ report: result.report }, 'inspection plans imported');
    return reply.send(result.report);
  });

  scope.get('/api/admin/plans', async () => {
    const plans = await listPlans(db);
    return {
      plans: plans.filter((p) => p.active).map((p) => p.plan),
      inactive: plans.filter((p) => !p.active).map((p) => p.plan),
      versions: Object.fromEntries(plans.map((p) => [p.plan.code, p.version])),
    };
  });

  scope.post<{ Params: { code: string }; Body: unknown }>('/api/admin/plans/:code/redraw', async (request) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(400, 'invalid_request', '请求体应为 {"reason": "<重新抽取的理由>", "period"?: "YYYY-MM-DD"}');
    }
    const { period, reason, ...rest } = body as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length) {
      throw new HttpError(400, 'invalid_request', `不认识的字段：${unknown.join('、')}；可用：period、reason`);
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new HttpError(400, 'invalid_reason', '重新抽取须写明理由（reason），它会记入抽取记录');
    }
    if (period !== undefined && (typeof period !== 'string' || !isLocalDate(period))) {
      throw new HttpError(
        400,
        'invalid_period',
        `period 应为该期内的一个日期 YYYY-MM-DD（默认今天），而不是 ${JSON.stringify(period)}`,
      );
    }
    const now = clock.now();
    const today = calendar.localDate(now);
    const draw = await planCall(() =>
      redraw(db, request.params.code, (period as string | undefined) ?? today, reason, now, today),
    );
    request.log.info({ plan: request.params.code, period: draw.periodStart, reason }, 'inspection plan redrawn');
    const [json] = await drawsJson(db, [draw]);
    return json;
  });

  scope.get<{ Params: { code: string } }>('/api/admin/plans/:code/draws', async (request) => ({
    draws: await planCall(() => listDraws(db, request.params.code)),
  }));
};

function importMode(request: FastifyRequest): ImportMode {
  const mode = (request.query as { mode?: unknown }).mode ?? 'replace';
  if (mode !== 'replace' && mode !== 'merge') {
    throw new HttpError(
      400,
      'invalid_request',
      `mode 应为 replace（整体替换，默认：未列出的计划停用）或 merge（合并），而不是“${String(mode)}”`,
    );
  }
  return mode;
}

async function planCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof PlanError) {
      throw new HttpError(error.code === 'plan_not_found' ? 404 : 400, error.code, error.message);
    }
    throw error;
  }
}
