import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Reminders } from '../reminders/index.js';
import { requireAdminToken } from './admin-auth.js';
import { HttpError } from './errors.js';

/** zod's own messages (unknown keys, a body that is not an object) in Chinese too, for this parse only. */
const ZOD_IN_CHINESE = z.locales.zhCN().localeError;

const sweepBody = z.strictObject({
  at: z.iso.datetime({ offset: true, message: '应为带时区的 ISO-8601 时间，如 2026-03-01T09:00:00+08:00' }).optional(),
  dryRun: z.boolean({ message: '应为 true 或 false' }).optional(),
});

export interface SweepAdminRoutesOptions {
  config: Pick<Config, 'ADMIN_TOKEN'>;
  reminders: Pick<Reminders, 'sweep'>;
}

/**
 * POST /api/admin/sweep `{"at"?: ISO-8601, "dryRun"?: boolean}` (admin token): runs the reminder and escalation
 * sweep at `at` (default now) and answers what it sent — or, with dryRun, would send — and to whom:
 * `{at, dryRun, steps: [{hazard, step, channel, to: [{name, openId}], urgent, …}], counts}`.
 */
export const sweepAdminRoutes: FastifyPluginAsync<SweepAdminRoutesOptions> = async (app, { config, reminders }) => {
  app.addHook('onRequest', requireAdminToken(config));
  app.post('/api/admin/sweep', async (request) => {
    const parsed = sweepBody.safeParse(request.body ?? {}, { error: ZOD_IN_CHINESE });
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '请求体'}：${i.message}`);
      throw new HttpError(400, 'invalid_request', `请求体有误：${problems.join('；')}`, parsed.error.issues);
    }
    const { at, dryRun } = parsed.data;
    const result = await reminders.sweep({ at: at ? new Date(at) : undefined, dryRun: dryRun === true });
    return {
      at: result.at,
      dryRun: result.dryRun,
      steps: result.steps,
      truncated: result.truncated,
      counts: result.counts,
      batches: result.batches,
      durationMs: result.durationMs,
    };
  });
};
