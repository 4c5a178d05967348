/**
 * 群众举报 over HTTP (interface.md "Public tips"), no login: `GET /tip` (the form), `POST /tip` (multipart: what,
 * where, unit?, region?, name?, phone?, photos ≤ 6 of ≤ 10 MB, each an image by its bytes), `GET /tip/:code?key=`
 * (status and answer). Behind a read token: `GET /api/tips`, `GET /api/tips/:code`.
 *
 * Abuse limits (per address and phone, a proof-of-work challenge after repeated tips) are in tip-guard.ts; photos
 * are stored with the tip and uploaded to Feishu afterwards (tips/photo-upload.ts).
 * Every problem with a tip is a 400 naming the field, and nothing is stored: the whole request is read and checked
 * before the one transaction that stores it. The tracking key is in the link only; a wrong key answers exactly as
 * an unknown code does (404).
 */
import multipart, { type Multipart } from '@fastify/multipart';
import { asc, eq } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { enterprises, regions } from '../db/schema/index.js';
import type { Calendar } from '../domain/index.js';
import { parseTipCode, TIP_STATUSES, type TipStatus, tipChannelOf } from '../domain/tip.js';
import type { FeishuClient } from '../feishu/client.js';
import { COUNTY_SCOPE, type ResolvedScope } from '../ledger/scope.js';
import { TIP_CSS, TIP_POW_JS } from '../tips/assets.js';
import {
  type CheckedTipFields,
  checkTipFields,
  checkTipPhoto,
  TIP_LIMITS,
  type TipFields,
  TipInputError,
} from '../tips/input.js';
import { type ReceivedPhoto, receiveTip } from '../tips/intake.js';
import {
  TIP_STATIC,
  tipFormPage,
  tipNotFoundPage,
  tipReceiptPage,
  tipStatusPage,
  tipTooManyPage,
} from '../tips/pages.js';
import { createTipPhotoUploader } from '../tips/photo-upload.js';
import { findTip, findTipPhoto, listTips } from '../tips/query.js';
import { findTipByKey } from '../tips/repository.js';
import { publicStatusOf } from '../tips/view.js';
import { CONTENT_SECURITY_POLICY } from '../web/index.js';
import { errorBody, HttpError } from './errors.js';
import { boundTokenScope, requireReadToken } from './read-auth.js';
import { createTipGuard, DEFAULT_TIP_GUARD } from './tip-guard.js';

export interface TipRoutesOptions {
  config: Pick<Config, 'PUBLIC_URL' | 'COUNTY_NAME' | 'ADMIN_TOKEN' | 'API_TOKENS' | 'API_TOKEN_SCOPES'> &
    Partial<
      Pick<Config, 'TIP_MAX_PER_ADDRESS_HOUR' | 'TIP_MAX_PER_PHONE_DAY' | 'TIP_CHALLENGE_AFTER' | 'TIP_CHALLENGE_BITS'>
    >;
  db: Db;
  clock: Clock;
  calendar: Calendar;
  feishu: Pick<FeishuClient, 'uploadImage'>;
  logger: Logger;
  /** Signs the proof-of-work challenges (TIP_SECRET, else SESSION_SECRET); null = one per process. */
  secret?: string | null;
}

/** The web view's strict policy (no inline script or style; scripts, styles and forms only from us). */
const CSP = Object.entries(CONTENT_SECURITY_POLICY)
  .map(([directive, sources]) => `${directive} ${sources.join(' ')}`)
  .join('; ');
const TEXT_FIELDS = new Set(['what', 'where', 'unit', 'region', 'name', 'phone', 'via']);
const MAX_LIMIT = 200;

export const tipRoutes: FastifyPluginAsync<TipRoutesOptions> = async (app, options) => {
  const { config, db, clock, calendar, feishu, logger } = options;
  const countyName = config.COUNTY_NAME ?? '本县';
  const guard = await createTipGuard(app, {
    db,
    clock,
    logger,
    settings: {
      perAddressHour: config.TIP_MAX_PER_ADDRESS_HOUR ?? DEFAULT_TIP_GUARD.perAddressHour,
      perPhoneDay: config.TIP_MAX_PER_PHONE_DAY ?? DEFAULT_TIP_GUARD.perPhoneDay,
      challengeAfter: config.TIP_CHALLENGE_AFTER ?? DEFAULT_TIP_GUARD.challengeAfter,
      challengeBits: config.TIP_CHALLENGE_BITS ?? DEFAULT_TIP_GUARD.challengeBits,
      secret: options.secret ?? null,
    },
  });
  const uploader = createTipPhotoUploader({ db, clock, calendar, feishu, logger });
  app.addHook('onReady', async () => uploader.start());
  app.addHook('onClose', async () => {
    uploader.stop();
    await uploader.idle();
  });
  await app.register(multipart, {
    // One more file than allowed is how "too many photos" is noticed; the size limit throws when a photo is over it.
    limits: { fileSize: TIP_LIMITS.photoBytes, files: TIP_LIMITS.photos, fields: 12, fieldSize: 64 * 1024, parts: 24 },
  });

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', CSP)
      .header('referrer-policy', 'no-referrer')
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-store')
      .send(body);
  const wantsHtml = (request: FastifyRequest) => /text\/html/.test(request.headers.accept ?? '');

  async function townships() {
    // The townships are the regions right below the county (or the top level, in a deployment without one).
    const all = await db
      .select({ id: regions.id, code: regions.code, name: regions.name, parentId: regions.parentId })
      .from(regions)
      .orderBy(asc(regions.code));
    const roots = all.filter((r) => r.parentId === null);
    const below = all.filter((r) => r.parentId !== null && roots.some((root) => root.id === r.parentId));
    return (roots.length === 1 && below.length ? below : roots).map(({ code, name }) => ({ code, name }));
  }

  async function formPage(
    query: { region?: string; unit?: string; via?: string },
    extra: Partial<Parameters<typeof tipFormPage>[0]> = {},
  ) {
    const unitCode = typeof query.unit === 'string' ? query.unit.slice(0, 64) : '';
    const [unit] = unitCode
      ? await db
          .select({ code: enterprises.code, name: enterprises.name })
          .from(enterprises)
          .where(eq(enterprises.code, unitCode))
      : [];
    const region = typeof query.region === 'string' ? query.region.slice(0, 64) : null;
    // Sent again after a refusal: as it came. First opened: from the QR code's parameter.
    const via =
      typeof query.via === 'string' ? tipChannelOf(query.via) : unit ? 'unit_qr' : region ? 'township_qr' : 'page';
    return tipFormPage({
      countyName,
      regions: await townships(),
      region,
      unit: unit ?? null,
      via,
      ...extra,
    });
  }

  app.get<{ Querystring: { region?: string; unit?: string } }>('/tip', async (request, reply) =>
    html(reply, 200, await formPage(request.query, { challenge: await guard.challengeFor(request) })),
  );

  // The page's own style and solver: long-cached, typed, never sniffed.
  const asset = (type: string, body: string) => async (_request: FastifyRequest, reply: FastifyReply) =>
    reply
      .header('content-type', `${type}; charset=utf-8`)
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  app.get(`${TIP_STATIC}/tip.css`, asset('text/css', TIP_CSS));
  app.get(`${TIP_STATIC}/pow.js`, asset('text/javascript', TIP_POW_JS));

  app.post('/tip', async (request, reply) => {
    if (!request.isMultipart()) {
      throw new HttpError(415, 'unsupported_media_type', '请以 multipart/form-data 提交举报（what、where、photos…）');
    }
    const tooMany = (verdict: { message: string; retryAfterSeconds: number }) => {
      reply.header('retry-after', String(verdict.retryAfterSeconds));
      if (wantsHtml(request)) return html(reply, 429, tipTooManyPage(verdict.message));
      return reply.code(429).header('cache-control', 'no-store').send(errorBody('too_many_tips', verdict.message));
    };
    // Counted before the body is read: a flood costs us one upsert per request, not its photos.
    const byAddress = await guard.checkAddress(request);
    if (!byAddress.ok) return tooMany(byAddress);
    const fields: TipFields = {};
    const proof: { challenge?: string; nonce?: string } = {};
    // The form again with what was typed and the problem beside its field (photos cannot be sent back: it says so).
    const refuse = async (problem: TipInputError) => {
      if (wantsHtml(request)) {
        const again = await guard.challengeFor(request);
        return html(
          reply,
          400,
          await formPage(
            { region: fields.region, unit: fields.unit, via: fields.via ?? 'page' },
            { values: { ...fields }, error: { field: problem.field, message: problem.message }, challenge: again },
          ),
        );
      }
      return reply.code(400).send(errorBody(problem.code, problem.message, { field: problem.field }));
    };
    let checked: CheckedTipFields;
    let photos: ReceivedPhoto[];
    try {
      photos = await readTip(request.parts(), fields, proof);
      checked = checkTipFields(fields);
    } catch (error) {
      const problem = asTipInputError(error);
      if (!problem) throw error;
      return refuse(problem);
    }
    const solved = await guard.checkChallenge(request, proof);
    if (!solved.ok) {
      if (wantsHtml(request)) {
        return html(
          reply,
          400,
          await formPage(
            { region: fields.region, unit: fields.unit, via: fields.via ?? 'page' },
            { values: { ...fields }, challenge: await guard.challengeFor(request), challengeProblem: solved.message },
          ),
        );
      }
      return reply
        .code(400)
        .send(errorBody('challenge_required', solved.message, { challenge: await guard.challengeFor(request) }));
    }
    const byPhone = await guard.checkPhone(request, checked.phone);
    if (!byPhone.ok) return tooMany(byPhone);
    let receipt: Awaited<ReturnType<typeof receiveTip>>;
    try {
      receipt = await receiveTip({ db, clock, calendar }, { fields: checked, photos, ip: request.ip ?? null });
    } catch (error) {
      // Unknown township: also a field problem, found before anything is stored.
      if (!(error instanceof TipInputError)) throw error;
      return refuse(error);
    }
    if (photos.length > 0)
      uploader.enqueue(
        receipt.id,
        photos.map((p) => p.data),
      );
    // Kept all the same (the county's office can read it through /api/tips), but somebody must bind handlers.
    if (receipt.handlers === 0)
      logger.warn({ tip: receipt.code }, 'tip received with nobody to handle it in the directory');
    const trackingUrl = `${config.PUBLIC_URL ?? ''}/tip/${receipt.code}?key=${receipt.key}`;
    if (wantsHtml(request)) return html(reply, 201, tipReceiptPage({ code: receipt.code, trackingUrl }));
    return reply.code(201).header('cache-control', 'no-store').send({ code: receipt.code, trackingUrl });
  });

  app.get<{ Params: { code: string }; Querystring: { key?: string } }>('/tip/:code', async (request, reply) => {
    const code = parseTipCode(request.params.code);
    const key = typeof request.query.key === 'string' ? request.query.key : '';
    const tip = code && key && key.length <= 100 ? await findTipByKey(db, code, key) : null;
    const json = /application\/json/.test(request.headers.accept ?? '');
    if (!tip) {
      if (json) {
        return reply
          .code(404)
          .header('cache-control', 'no-store')
          .send(errorBody('tip_not_found', '没有找到这条举报：请核对查询链接是否完整'));
      }
      return html(reply, 404, tipNotFoundPage());
    }
    const status = publicStatusOf(tip, calendar);
    if (json) return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send(status);
    return html(reply, 200, tipStatusPage(status));
  });

  // The read side: a token's scope (API_TOKEN_SCOPES) narrows it; only the county sees who the tipster is.
  const readAuth = requireReadToken(config);
  const readerScope = async (request: FastifyRequest): Promise<ResolvedScope> =>
    (await boundTokenScope(db, request)) ?? COUNTY_SCOPE;

  app.get<{ Querystring: Record<string, unknown> }>('/api/tips', { preHandler: readAuth }, async (request) => {
    const scope = await readerScope(request);
    const { status, limit, cursor } = request.query;
    if (status !== undefined && !(TIP_STATUSES as readonly unknown[]).includes(status)) {
      throw new HttpError(400, 'invalid_status', `status 应为 ${TIP_STATUSES.join('、')} 之一`);
    }
    const size = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(size) || size < 1 || size > MAX_LIMIT) {
      throw new HttpError(400, 'invalid_limit', `limit 应为 1–${MAX_LIMIT} 的整数`);
    }
    const before = cursor === undefined ? undefined : Number(cursor);
    if (before !== undefined && (!Number.isSafeInteger(before) || before < 1)) {
      throw new HttpError(400, 'invalid_cursor', 'cursor 无效：请使用上一页返回的 nextCursor');
    }
    return listTips(db, {
      scope,
      withIdentity: scope.county,
      ...(status ? { status: status as TipStatus } : {}),
      ...(before ? { before } : {}),
      limit: size,
    });
  });

  app.get<{ Params: { code: string } }>('/api/tips/:code', { preHandler: readAuth }, async (request) => {
    const scope = await readerScope(request);
    const code = parseTipCode(request.params.code);
    const found = code ? await findTip(db, { code, scope, withIdentity: scope.county, calendar }) : null;
    if (!found)
      throw new HttpError(404, 'tip_not_found', `没有找到您可以查看的举报 ${request.params.code.slice(0, 40)}`);
    return found;
  });

  app.get<{ Params: { code: string; n: string } }>(
    '/api/tips/:code/photos/:n',
    { preHandler: readAuth },
    async (request, reply) => {
      const scope = await readerScope(request);
      const code = parseTipCode(request.params.code);
      const position = Number(request.params.n);
      const photo =
        code && Number.isInteger(position) && position >= 1 && position <= TIP_LIMITS.photos
          ? await findTipPhoto(db, { code, position, scope })
          : null;
      if (!photo) throw new HttpError(404, 'photo_not_found', '没有该照片，或举报不在范围内');
      // The type was read from the bytes at intake; nosniff keeps a browser from guessing otherwise.
      return reply
        .header('content-type', photo.contentType)
        .header('x-content-type-options', 'nosniff')
        .send(photo.content);
    },
  );
};

/** Reads every part: text fields into `fields`, photos checked one by one (an empty file input is no photo). */
async function readTip(
  parts: AsyncIterableIterator<Multipart>,
  fields: TipFields,
  proof: { challenge?: string; nonce?: string },
): Promise<ReceivedPhoto[]> {
  const photos: ReceivedPhoto[] = [];
  for await (const part of parts) {
    if (part.type === 'file') {
      if (part.fieldname !== 'photos') {
        await part.toBuffer();
        throw new TipInputError(
          'unknown_field',
          'photos',
          `照片请用 photos 字段上传（收到的是 ${part.fieldname.slice(0, 40)}）`,
        );
      }
      const data = await part.toBuffer();
      if (data.length === 0 && !part.filename) continue;
      if (data.length === 0)
        throw new TipInputError('photo_empty', 'photos', `第 ${photos.length + 1} 张照片（photos）是空文件`);
      photos.push({ data, contentType: checkTipPhoto(data, photos.length + 1) });
      continue;
    }
    if (part.fieldname === 'challenge' || part.fieldname === 'nonce') {
      proof[part.fieldname] = String(part.value ?? '').slice(0, 200);
      continue;
    }
    if (TEXT_FIELDS.has(part.fieldname)) {
      if (part.valueTruncated) {
        throw new TipInputError('field_too_long', part.fieldname as 'what', `${part.fieldname} 过长`);
      }
      fields[part.fieldname as keyof TipFields] = String(part.value ?? '');
    }
  }
  return photos;
}

/** The multipart reader's own limits, said as a problem with the photos. */
function asTipInputError(error: unknown): TipInputError | null {
  if (error instanceof TipInputError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'FST_FILES_LIMIT') {
    return new TipInputError('too_many_photos', 'photos', `照片（photos）最多 ${TIP_LIMITS.photos} 张`);
  }
  if (code === 'FST_REQ_FILE_TOO_LARGE') {
    return new TipInputError('photo_too_large', 'photos', '照片（photos）每张不能超过 10 MB，请压缩后再传');
  }
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new TipInputError('too_many_parts', 'photos', '提交的内容过多：只需填写表单中的各项，照片最多 6 张');
  }
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || (error as Error)?.message?.includes('Multipart')) {
    return new TipInputError('malformed_multipart', 'photos', '提交的内容无法解析，请重新提交');
  }
  return null;
}
