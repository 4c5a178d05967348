import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { workbookBuffer } from '../directory/export.js';
import { LISTED_ISSUES, listIssues } from '../directory/model.js';
import type { UploadedFile } from '../directory/parse-files.js';
import type { ChecklistImportMode, ParsedChecklists } from '../inspections/checklists/model.js';
import { parseChecklistFilesInWorker } from '../inspections/checklists/parse-files.js';
import { parseChecklistJson } from '../inspections/checklists/parse-json.js';
import { applyChecklists, exportChecklists } from '../inspections/checklists/store.js';
import { checklistTemplateWorkbook } from '../inspections/checklists/template.js';
import { UploadWorkerError } from '../uploads/parse-in-worker.js';
import { requireAdminToken } from './admin-auth.js';
import { HttpError } from './errors.js';
import { acceptUploadFiles, contentType, uploadedFiles, XLSX_TYPE } from './upload-files.js';

/** A county's checklists are a few MB at most; the limit leaves room for a workbook with pictures in its notes. */
const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;

export interface ChecklistAdminRoutesOptions {
  config: Pick<Config, 'ADMIN_TOKEN'>;
  db: Db;
  clock: Clock;
}

/** What the checklist import accepts, said when it is sent anything else. */
export const CHECKLIST_TYPES =
  '检查表只接受 JSON（application/json）、xlsx（application/vnd.openxmlformats-officedocument.spreadsheetml.sheet）、' +
  'CSV（text/csv）或 multipart/form-data 上传的 .xlsx / .csv / .json 文件';

/**
 * The checklists' admin routes, behind the admin token: PUT /api/admin/checklists (JSON, multipart with .xlsx / .csv /
 * .json files, or a raw .xlsx / .csv body; `?mode=replace` (default) or `merge`), GET /api/admin/checklists (the
 * import format with source, active and version; `?active=true` for the active ones only) and …/template.xlsx.
 */
export const checklistAdminRoutes: FastifyPluginAsync<ChecklistAdminRoutesOptions> = async (scope, options) => {
  const { db, clock } = options;
  await acceptUploadFiles(scope, IMPORT_BODY_LIMIT);
  // onRequest, not preHandler: a stranger's upload is refused before its body is read.
  scope.addHook('onRequest', requireAdminToken(options.config));

  scope.put('/api/admin/checklists', { bodyLimit: IMPORT_BODY_LIMIT }, async (request, reply) => {
    const mode = importMode(request);
    const parsed = await parseRequest(request);
    const total = parsed.totalIssues ?? parsed.issues.length;
    if (total > 0) {
      const { listed, moreText } = listIssues(parsed.issues, total);
      throw new HttpError(
        400,
        'invalid_checklists',
        `检查表有 ${total.toLocaleString('en-US')} 处问题，未导入任何内容；请按 details 逐条修改后重新导入` +
          (moreText && `（details 列出前 ${listed.length} 处，${moreText}）`),
        listed,
      );
    }
    const report = await applyChecklists(db, parsed.checklists, { mode, source: 'county', now: clock.now() });
    request.log.info({ report }, 'checklists imported');
    return reply.send(report);
  });

  scope.get('/api/admin/checklists', async (request) => {
    const active = (request.query as { active?: string }).active;
    return exportChecklists(db, { activeOnly: active === 'true' || active === '1' });
  });

  scope.get('/api/admin/checklists/template.xlsx', async (_request, reply) => {
    const data = await workbookBuffer(checklistTemplateWorkbook());
    reply
      .header('content-type', XLSX_TYPE)
      .header(
        'content-disposition',
        `attachment; filename="checklists.xlsx"; filename*=UTF-8''${encodeURIComponent('检查表模板.xlsx')}`,
      )
      .send(data);
  });
};

function importMode(request: FastifyRequest): ChecklistImportMode {
  const mode = (request.query as { mode?: string }).mode ?? 'replace';
  if (mode !== 'replace' && mode !== 'merge') {
    throw new HttpError(400, 'invalid_request', `mode 应为 replace（整表替换，默认）或 merge（合并），而不是“${mode}”`);
  }
  return mode;
}

async function parseRequest(request: FastifyRequest): Promise<ParsedChecklists & { totalIssues?: number }> {
  const files = await uploadedFiles(request, { defaultName: 'checklists', maxBytes: IMPORT_BODY_LIMIT });
  if (files) return parseFiles(files);
  if (request.body === undefined) {
    throw new HttpError(400, 'invalid_request', '请求体为空：请发送 JSON，或以 multipart 上传 .xlsx / .csv 文件');
  }
  if (contentType(request) !== 'application/json') throw new HttpError(415, 'unsupported_media_type', CHECKLIST_TYPES);
  return parseChecklistJson(request.body);
}

/** Files are read in the upload worker; a busy worker or a file past its memory or time is a clear 503 / 413. */
async function parseFiles(files: UploadedFile[]) {
  try {
    return await parseChecklistFilesInWorker(files, { listed: LISTED_ISSUES });
  } catch (error) {
    if (!(error instanceof UploadWorkerError)) throw error;
    if (error.reason === 'busy') {
      throw new HttpError(503, 'upload_busy', '另一个上传的文件正在解析，请稍后（约一分钟内）重试；未导入任何内容');
    }
    if (error.reason === 'crashed') throw new HttpError(500, 'upload_failed', error.message);
    throw new HttpError(413, 'upload_too_large', `${files.map((f) => f.name).join('、')}：${error.message}`);
  }
}
