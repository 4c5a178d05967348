import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { IsBotInChat } from '../directory/check-chats.js';
import { checkDirectoryUploadInWorker, type UploadLimitOptions } from '../directory/check-upload.js';
import { directoryWorkbook, exportDirectory, workbookBuffer } from '../directory/export.js';
import { importDirectory } from '../directory/import.js';
import { type DirectoryIssue, type ImportMode, listIssues } from '../directory/model.js';
import type { UploadedFile } from '../directory/parse-files.js';
import { type ParsedInput, parseJson } from '../directory/parse-input.js';
import type { ResolveUserIds } from '../directory/resolve-open-ids.js';
import { type DirectoryState, loadDirectoryState } from '../directory/state.js';
import {
  confirmUnverifiedEnterprise,
  DirectoryError,
  listUnverifiedEnterprises,
  mergeUnverifiedEnterprise,
} from '../directory/unverified.js';
import type { EscalationPolicy } from '../domain/index.js';
import { findDirectoryGaps } from '../reminders/gaps.js';
import { isSmsEnabled } from '../sms/index.js';
import { isParseRunning, UploadWorkerError } from '../uploads/parse-in-worker.js';
import { requireAdminToken } from './admin-auth.js';
import { HttpError } from './errors.js';
import { acceptUploadFiles, contentType, uploadedFiles, XLSX_TYPE } from './upload-files.js';

/** Large enough for a province's directory (30,000 entries is about 10 MB of JSON). */
const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

export interface DirectoryAdminRoutesOptions {
  config: Pick<Config, 'ADMIN_TOKEN' | 'SMS_PROVIDER'>;
  db: Db;
  clock: Clock;
  /** Finds open_ids by mobile or email through Feishu's contact API. */
  resolveUserIds: ResolveUserIds;
  /** Whether the bot is in a township group (a 群聊ID that it is not in would fail every escalation). */
  isBotInChat: IsBotInChat;
  /** The configured escalation policy: only the roles its steps address make a gap. */
  policy: Pick<EscalationPolicy, 'steps'>;
  /** Limits of an uploaded file and of the worker that reads it (tests lower them). */
  uploads?: UploadLimitOptions | undefined;
}

/**
 * The directory's admin routes, all behind the admin token:
 * PUT /api/admin/directory (JSON, multipart with .xlsx / .csv / .json files, or a raw .xlsx / .csv body),
 * GET /api/admin/directory (JSON), …/template.xlsx, …/export.xlsx, …/unverified, and confirm / merge, and
 * …/gaps (the roles that resolve to nobody the bot can reach, so that reminders fall back up the chain).
 */
export const directoryAdminRoutes: FastifyPluginAsync<DirectoryAdminRoutesOptions> = async (scope, options) => {
  const { db, clock } = options;
  await acceptUploadFiles(scope, IMPORT_BODY_LIMIT);
  // onRequest, not preHandler: a stranger's upload is refused before its body is read.
  scope.addHook('onRequest', requireAdminToken(options.config));

  scope.put(
    '/api/admin/directory',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      // While a file is being parsed, a second one is refused before its body is read (parse-in-worker.ts: why).
      preParsing: async (request, reply, payload) => {
        if (isParseRunning() && !isJson(request)) {
          reply.header('retry-after', '30');
          throw busyError();
        }
        return payload;
      },
    },
    async (request, reply) => {
      const mode = importMode(request);
      const upload = await readUpload(request);
      let parsed: ParsedInput;
      let before: DirectoryState | undefined;
      if (upload.kind === 'files') {
        // Files are read and checked in a worker thread, against the directory as stored now.
        before = await loadDirectoryState(db);
        const checked = await checkFiles(upload.files, { ...options.uploads, state: before, mode });
        if (!checked.ok) throw invalidDirectory(checked.issues, checked.total);
        parsed = checked.parsed;
      } else parsed = parseJson(upload.body);
      const result = await importDirectory(db, parsed, {
        mode,
        resolveUserIds: options.resolveUserIds,
        isBotInChat: options.isBotInChat,
        now: clock.now(),
        before,
      });
      if (!result.ok) throw invalidDirectory(result.issues, result.issues.length);
      request.log.info(
        {
          report: {
            ...result.report,
            unresolved: result.report.unresolved.length,
            unreachableChats: result.report.unreachableChats.length,
          },
        },
        'directory imported',
      );
      return reply.send(result.report);
    },
  );

  scope.get('/api/admin/directory', async () => exportDirectory(db));

  scope.get('/api/admin/directory/template.xlsx', async (_request, reply) => {
    sendXlsx(reply, '组织名录模板.xlsx', await workbookBuffer(directoryWorkbook()));
  });

  scope.get('/api/admin/directory/export.xlsx', async (_request, reply) => {
    const directory = await exportDirectory(db);
    sendXlsx(reply, '组织名录.xlsx', await workbookBuffer(directoryWorkbook(directory)));
  });

  scope.get('/api/admin/directory/unverified', async () => ({
    enterprises: await listUnverifiedEnterprises(db),
  }));

  scope.get('/api/admin/directory/gaps', async () =>
    findDirectoryGaps(db, options.policy, { sms: isSmsEnabled(options.config) }),
  );

  scope.post<{ Params: { code: string } }>('/api/admin/directory/unverified/:code/confirm', async (request) =>
    directoryCall(() => confirmUnverifiedEnterprise(db, request.params.code, clock.now())),
  );

  scope.post<{ Params: { code: string }; Body: unknown }>(
    '/api/admin/directory/unverified/:code/merge',
    async (request) => {
      const into = (request.body as { into?: unknown } | undefined)?.into;
      if (typeof into !== 'string' || into.trim() === '') {
        throw new HttpError(400, 'invalid_request', '请求体应为 {"into": "<要合并到的企业编码>"}');
      }
      return directoryCall(() => mergeUnverifiedEnterprise(db, request.params.code, into.trim(), clock.now()));
    },
  );
};

function importMode(request: FastifyRequest): ImportMode {
  const query = request.query as { mode?: string; merge?: string };
  if (query.merge === 'true' || query.merge === '1') return 'merge';
  const mode = query.mode ?? 'replace';
  if (mode !== 'replace' && mode !== 'merge') {
    throw new HttpError(400, 'invalid_request', `mode 应为 replace（整表替换，默认）或 merge（合并），而不是“${mode}”`);
  }
  return mode;
}

/** What the directory import accepts, said when it is sent anything else. */
export const DIRECTORY_TYPES =
  '组织名录只接受 JSON（application/json）、xlsx（application/vnd.openxmlformats-officedocument.spreadsheetml.sheet）、' +
  'CSV（text/csv）或 multipart/form-data 上传的 .xlsx / .csv / .json 文件';

const isJson = (request: FastifyRequest) => contentType(request) === 'application/json';

type Upload = { kind: 'files'; files: UploadedFile[] } | { kind: 'json'; body: unknown };

async function readUpload(request: FastifyRequest): Promise<Upload> {
  const files = await uploadedFiles(request, { defaultName: 'directory', maxBytes: IMPORT_BODY_LIMIT });
  if (files) return { kind: 'files', files };
  if (request.body === undefined) {
    throw new HttpError(400, 'invalid_request', '请求体为空：请发送 JSON，或以 multipart 上传 .xlsx / .csv 文件');
  }
  // Fastify reads text/plain too; a directory in it would be read as one JSON string and refused for its shape.
  if (contentType(request) !== 'application/json') throw new HttpError(415, 'unsupported_media_type', DIRECTORY_TYPES);
  return { kind: 'json', body: request.body };
}

/** The 400 of a directory with problems: the first ones, with their sheet and row, and how many more there are. */
function invalidDirectory(issues: DirectoryIssue[], total: number): HttpError {
  const { listed, moreText } = listIssues(issues, total);
  return new HttpError(
    400,
    'invalid_directory',
    `名录有 ${total.toLocaleString('en-US')} 处问题，未导入任何内容；请按 details 逐条修改后重新导入` +
      (moreText && `（details 列出前 ${listed.length} 处，${moreText}）`),
    listed,
  );
}

/** Files are read in a worker thread; when it cannot answer, the admin is told why and what to do. */
async function checkFiles(files: UploadedFile[], options: Parameters<typeof checkDirectoryUploadInWorker>[1]) {
  try {
    return await checkDirectoryUploadInWorker(files, options);
  } catch (error) {
    if (!(error instanceof UploadWorkerError)) throw error;
    if (error.reason === 'busy') throw busyError();
    if (error.reason === 'crashed') throw new HttpError(500, 'upload_failed', error.message);
    // Out of memory or time: the file is more than an import may be, whatever its size on disk.
    throw new HttpError(413, 'upload_too_large', `${files.map((f) => f.name).join('、')}：${error.message}`);
  }
}

function busyError(): HttpError {
  return new HttpError(503, 'upload_busy', '另一个上传的文件正在解析，请稍后（约一分钟内）重试；未导入任何内容');
}

async function directoryCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof DirectoryError) {
      const status = error.code === 'not_found' ? 404 : error.code === 'conflict' ? 409 : 400;
      throw new HttpError(status, error.code, error.message);
    }
    throw error;
  }
}

function sendXlsx(reply: FastifyReply, fileName: string, data: Buffer): void {
  reply
    .header('content-type', XLSX_TYPE)
    .header(
      'content-disposition',
      `attachment; filename="directory.xlsx"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
    )
    .send(data);
}
