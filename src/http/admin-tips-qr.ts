/**
 * `GET /api/admin/tips/qr?region=<code>|unit=<code>[&format=pdf|png]` (admin token): the 举报二维码 poster of a township
 * or a unit, whose QR code opens `<PUBLIC_URL>/tip?region=…` (or `?unit=…`). PDF to print (default), PNG to post.
 */
import { eq } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { enterprises, regions } from '../db/schema/index.js';
import { reportingUnitName } from '../ledger/statutory-xlsx.js';
import { requireAdminToken } from './admin-auth.js';
import { HttpError } from './errors.js';

export interface TipPosterRoutesOptions {
  config: Pick<Config, 'ADMIN_TOKEN' | 'COUNTY_NAME'>;
  db: Db;
  /** Where the public tip page is served (PUBLIC_URL, or the sandbox's address); undefined = no poster can point anywhere. */
  publicUrl: string | undefined;
}

export const tipPosterRoutes: FastifyPluginAsync<TipPosterRoutesOptions> = async (scope, { config, db, publicUrl }) => {
  scope.addHook('onRequest', requireAdminToken(config));

  scope.get<{ Querystring: { region?: string; unit?: string; format?: string } }>(
    '/api/admin/tips/qr',
    async (request, reply) => {
      const { region, unit, format = 'pdf' } = request.query;
      if (format !== 'pdf' && format !== 'png') {
        throw new HttpError(400, 'invalid_format', 'format 应为 pdf（打印用，默认）或 png（发群、贴公众号用）');
      }
      if ((region === undefined) === (unit === undefined) || (region ?? unit) === '') {
        throw new HttpError(
          400,
          'place_required',
          '请给出 region=<乡镇编码>（乡镇的举报码）或 unit=<企业编码>（贴在单位门口的举报码），二者选一',
        );
      }
      if (!publicUrl) {
        throw new HttpError(
          409,
          'public_url_unset',
          '未设置 PUBLIC_URL：二维码要指向群众能打开的举报页，请先设置服务的公网地址（docs/deploy.md 第 15 步）',
        );
      }
      const place = region !== undefined ? await regionName(db, region) : await unitName(db, unit!);
      if (!place) {
        throw new HttpError(
          404,
          'unknown_place',
          region !== undefined ? `组织名录中没有编码为“${region}”的乡镇` : `组织名录中没有编码为“${unit}”的单位`,
        );
      }
      const query = region !== undefined ? `region=${encodeURIComponent(region)}` : `unit=${encodeURIComponent(unit!)}`;
      const input = {
        countyName: await reportingUnitName(db, config.COUNTY_NAME),
        placeName: place,
        url: `${publicUrl}/tip?${query}`,
      };
      // Loaded on first use: the QR and SVG renderers are not worth every start's import time for a rare admin call.
      const poster = await import('../tips/poster.js');
      const body = format === 'pdf' ? await poster.posterPdf(input) : await poster.posterPng(input);
      const fileName = `举报二维码-${place}.${format}`;
      return reply
        .header('content-type', format === 'pdf' ? 'application/pdf' : 'image/png')
        .header(
          'content-disposition',
          `attachment; filename="tip-poster.${format}"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
        )
        .send(body);
    },
  );
};

async function regionName(db: Db, code: string): Promise<string | undefined> {
  const [row] = await db.select({ name: regions.name }).from(regions).where(eq(regions.code, code)).limit(1);
  return row?.name;
}

async function unitName(db: Db, code: string): Promise<string | undefined> {
  const [row] = await db
    .select({ name: enterprises.name })
    .from(enterprises)
    .where(eq(enterprises.code, code))
    .limit(1);
  return row?.name;
}
