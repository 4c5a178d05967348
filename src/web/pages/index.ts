/**
 * The leaders' pages and their JSON, each for the signed-in viewer's scope (the same scopeCondition as 统计 and 台账):
 * `GET /web/` (总览), `/web/hazards` (清单), `/web/hazards/:code` (one hazard), `/web/ledger.xlsx`, the photos and
 * documents behind `guards.json`, and JSON under `/web/api/`. A hazard outside the scope answers exactly as one that
 * does not exist. Static files (`src/web/public`) at /web/static/, ECharts from its npm package.
 */
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parseHazardCode } from '../../domain/hazard-code.js';
import { listDocuments, loadDocument } from '../../hazards/documents/store.js';
import { loadHazard } from '../../hazards/repository.js';
import { buildHazardView, describeEvent } from '../../hazards/view.js';
import { hazardPhoto, hazardPhotoList, hazardTrail } from '../../ledger/detail.js';
import { FilterError } from '../../ledger/filters.js';
import { hazardJson } from '../../ledger/present.js';
import {
  CursorError,
  DEFAULT_SORT,
  findHazardByCode,
  ledgerBatches,
  listHazards,
  type Page,
  SORTS,
  type Sort,
} from '../../ledger/query.js';
import { describeScope, scopeCondition } from '../../ledger/scope.js';
import { reportingUnitName } from '../../ledger/statutory-xlsx.js';
import { writeLedgerXlsx } from '../../ledger/xlsx.js';
import type { WebContext } from '../context.js';
import { viewerOf } from '../viewer.js';
import { hazardPage, notFoundPage } from './hazard-page.js';
import { filterChoices, filterValues, listCondition, listPage, PAGE_SIZE } from './hazards-list.js';
import type { Html } from './html.js';
import { ECHARTS_PATH, frameOf } from './layout.js';
import { overviewPage } from './overview.js';
import { overviewData } from './overview-data.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** src/web/public under tsx, dist/web/public in the build (package.json's build copies it). */
export const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
const ECHARTS_FILE = createRequire(import.meta.url).resolve('echarts/dist/echarts.simple.min');

type Query = Record<string, unknown>;

function sendPage(reply: FastifyReply, page: Html, status = 200) {
  // Pages carry the viewer's data: no shared cache keeps them.
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page.text);
}

function jsonError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message } });
}

const NOT_FOUND = '没有找到这条隐患，或它不在您的查看范围内。';

export const webPages: FastifyPluginAsync<WebContext> = async (app, context) => {
  const { db, calendar, clock, guards } = context;
  const page = { preHandler: guards.page };
  const json = { preHandler: guards.json };

  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/web/static/', decorateReply: false, index: false });
  app.get(ECHARTS_PATH, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(createReadStream(ECHARTS_FILE)),
  );

  // --- 总览 -------------------------------------------------------------------------------------------------------
  const overviewOf = (request: FastifyRequest) =>
    overviewData(db, { scope: viewerOf(request).scope, calendar, now: clock.now() });
  app.get('/web/', page, async (request, reply) => {
    const viewer = viewerOf(request);
    const [frame, data] = [await frameOf(db, viewer, reply), await overviewOf(request)];
    return sendPage(reply, overviewPage(frame, data));
  });
  app.get('/web', page, async (_request, reply) => reply.redirect('/web/'));
  app.get('/web/api/overview', json, async (request) => ({
    scope: await describeScope(db, viewerOf(request).scope),
    ...(await overviewOf(request)),
  }));

  // --- 清单 and its export ------------------------------------------------------------------------------------------
  /** The filtered page, or the message of what is wrong with the filters, sort or cursor. */
  async function listOf(request: FastifyRequest): Promise<{ page: Page | null; error: string | null; sort: Sort }> {
    const query = (request.query ?? {}) as Query;
    const sort = (SORTS as readonly string[]).includes(String(query.sort)) ? (query.sort as Sort) : DEFAULT_SORT;
    const cursor = typeof query.cursor === 'string' && query.cursor ? query.cursor : undefined;
    try {
      const where = await listCondition(db, viewerOf(request).scope, filterValues(query), calendar, clock.now());
      return { page: await listHazards(db, { where, sort, limit: PAGE_SIZE, cursor }), error: null, sort };
    } catch (error) {
      if (error instanceof FilterError || error instanceof CursorError)
        return { page: null, error: error.message, sort };
      throw error;
    }
  }

  app.get('/web/hazards', page, async (request, reply) => {
    const viewer = viewerOf(request);
    const query = (request.query ?? {}) as Query;
    const { page: result, error, sort } = await listOf(request);
    const frame = await frameOf(db, viewer, reply);
    const html = listPage({
      frame,
      values: filterValues(query),
      sort,
      cursor: typeof query.cursor === 'string' && query.cursor ? query.cursor : undefined,
      choices: await filterChoices(db, viewer.scope),
      page: result,
      error,
      today: calendar.localDate(clock.now()),
    });
    return sendPage(reply, html, error ? 400 : 200);
  });

  app.get('/web/api/hazards', json, async (request, reply) => {
    const { page: result, error } = await listOf(request);
    if (!result) return jsonError(reply, 400, 'invalid_filter', error ?? '');
    const today = calendar.localDate(clock.now());
    return { items: result.rows.map((row) => hazardJson(row, today)), nextCursor: result.nextCursor };
  });

  app.get('/web/ledger.xlsx', json, async (request, reply) => {
    const viewer = viewerOf(request);
    const now = clock.now();
    let where: Awaited<ReturnType<typeof listCondition>>;
    try {
      where = await listCondition(db, viewer.scope, filterValues((request.query ?? {}) as Query), calendar, now);
    } catch (error) {
      if (error instanceof FilterError) return jsonError(reply, 400, 'invalid_filter', error.message);
      throw error;
    }
    const stream = new PassThrough();
    const options = {
      calendar,
      now,
      reportingUnit: await reportingUnitName(db, context.config.COUNTY_NAME),
      scopeName: await describeScope(db, viewer.scope),
    };
    writeLedgerXlsx(stream, ledgerBatches(db, where), options).catch((error: unknown) => {
      request.log.error({ err: error }, 'web ledger export failed mid-stream');
      stream.destroy(error as Error);
    });
    const fileName = `隐患台账-${calendar.localDate(now)}.xlsx`;
    return reply
      .header('content-type', XLSX)
      .header('cache-control', 'no-store')
      .header(
        'content-disposition',
        `attachment; filename="ledger.xlsx"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
      )
      .send(stream);
  });

  // --- One hazard ---------------------------------------------------------------------------------------------------
  /** The hazard if the viewer may see it; null alike for a malformed code, no such hazard, and one out of scope. */
  async function visible(request: FastifyRequest<{ Params: { code: string } }>) {
    const parsed = parseHazardCode(request.params.code);
    if (!parsed) return null;
    return findHazardByCode(db, parsed.code, scopeCondition(viewerOf(request).scope));
  }

  app.get<{ Params: { code: string } }>('/web/hazards/:code', page, async (request, reply) => {
    const viewer = viewerOf(request);
    const row = await visible(request);
    const frame = await frameOf(db, viewer, reply);
    const record = row && (await loadHazard(db, row.code));
    if (!row || !record) return sendPage(reply, notFoundPage(frame, NOT_FOUND), 404);
    const now = clock.now();
    const stamp = (iso: string) => {
      const local = calendar.toLocal(new Date(iso));
      return `${local.date} ${local.time}`;
    };
    const [view, photos, documents, trail] = [
      await buildHazardView(db, record, now, calendar, undefined),
      await hazardPhotoList(db, row.code),
      await listDocuments(db, row.id),
      await hazardTrail(db, row.code),
    ];
    return sendPage(
      reply,
      hazardPage(frame, {
        row,
        view,
        photos,
        documents: documents.map((d) => ({ ...d, createdAt: stamp(d.createdAt.toISOString()) })),
        trail: trail.map((e) => ({
          at: stamp(e.at),
          who: e.actor?.name ?? '系统',
          text: describeEvent(e.type, (e.details ?? {}) as Record<string, unknown>),
        })),
      }),
    );
  });

  app.get<{ Params: { code: string } }>('/web/api/hazards/:code', json, async (request, reply) => {
    const row = await visible(request);
    if (!row) return jsonError(reply, 404, 'hazard_not_found', NOT_FOUND);
    const photos = await hazardPhotoList(db, row.code);
    return {
      ...hazardJson(row, calendar.localDate(clock.now())),
      trail: await hazardTrail(db, row.code),
      photos: photos.map((p) => ({ ...p, url: `/web/hazards/${row.code}/photos/${p.id}` })),
      documents: (await listDocuments(db, row.id)).map((d) => ({
        name: d.name,
        title: d.title,
        size: d.size,
        createdAt: d.createdAt.toISOString(),
        url: `/web/hazards/${row.code}/documents/${d.name}`,
      })),
    };
  });

  app.get<{ Params: { code: string; id: string } }>('/web/hazards/:code/photos/:id', json, async (request, reply) => {
    const row = await visible(request);
    const id = Number(request.params.id);
    const photo = row && Number.isSafeInteger(id) ? await hazardPhoto(db, row.code, id) : null;
    if (!photo) return jsonError(reply, 404, 'not_found', '没有找到这张照片，或它不在您的查看范围内。');
    return reply
      .header('content-type', photo.contentType)
      .header('cache-control', 'private, max-age=86400')
      .send(photo.content);
  });

  app.get<{ Params: { code: string; name: string } }>(
    '/web/hazards/:code/documents/:name',
    json,
    async (request, reply) => {
      const row = await visible(request);
      const { name } = request.params;
      const document = row && /^[a-z0-9-]{1,40}$/.test(name) ? await loadDocument(db, row.id, name) : null;
      if (!row || !document) return jsonError(reply, 404, 'not_found', '没有找到这份文书，或它不在您的查看范围内。');
      const disposition = `inline; filename="${row.code}-${name}.pdf"; filename*=UTF-8''${encodeURIComponent(document.fileName)}`;
      return reply
        .header('content-type', 'application/pdf')
        .header('content-disposition', disposition)
        .header('cache-control', 'private, max-age=300')
        .send(document.content);
    },
  );
};
