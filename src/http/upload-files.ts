/**
 * Files uploaded to an admin import route (the directory, the checklists): multipart parts or a raw .xlsx / .csv
 * body, read into a reused receive buffer (uploads/receive-buffer.ts: why) that goes back when the answer is sent.
 */
import type { IncomingMessage } from 'node:http';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UploadedFile } from '../directory/parse-files.js';
import { ReceiveBuffer, ReceiveLimitError } from '../uploads/receive-buffer.js';
import { HttpError } from './errors.js';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const buffers = new WeakMap<FastifyRequest, ReceiveBuffer>();

function receiveBufferOf(request: FastifyRequest, maxBytes: number): ReceiveBuffer {
  let buffer = buffers.get(request);
  if (!buffer) {
    const length = Number(request.headers['content-length']);
    buffer = new ReceiveBuffer(maxBytes, Number.isFinite(length) ? length : undefined);
    buffers.set(request, buffer);
  }
  return buffer;
}

/** The 413 of an upload past its route's bytes; any other error as it is. */
function asHttpError(error: unknown): unknown {
  return error instanceof ReceiveLimitError
    ? new HttpError(413, 'body_too_large', `请求体过大：${error.message}`)
    : error;
}

/**
 * Lets the routes of `scope` take files of at most `maxBytes` in all: registers multipart and the raw .xlsx / .csv
 * body parsers, and gives each request's receive buffer back once its answer is sent (or the client went away).
 */
export async function acceptUploadFiles(scope: FastifyInstance, maxBytes: number): Promise<void> {
  await scope.register(multipart, { limits: { fileSize: maxBytes, files: 8, fields: 8 } });
  for (const type of [XLSX_TYPE, 'text/csv']) {
    scope.addContentTypeParser(
      type,
      { bodyLimit: maxBytes },
      async (request: FastifyRequest, payload: IncomingMessage) => {
        try {
          return await receiveBufferOf(request, maxBytes).read(payload);
        } catch (error) {
          throw asHttpError(error);
        }
      },
    );
  }
  const release = async (request: FastifyRequest) => {
    buffers.get(request)?.release();
    buffers.delete(request);
  };
  scope.addHook('onResponse', release);
  scope.addHook('onRequestAbort', release);
}

/**
 * The request's files: each multipart file part, or the raw .xlsx / .csv body (named `<defaultName>.xlsx|.csv`, or
 * by its `x-file-name` header); null when the request carries no files (JSON, or nothing).
 */
export async function uploadedFiles(
  request: FastifyRequest,
  options: { defaultName: string; maxBytes: number },
): Promise<UploadedFile[] | null> {
  if (request.isMultipart()) {
    const receive = receiveBufferOf(request, options.maxBytes);
    const files: UploadedFile[] = [];
    try {
      for await (const part of request.parts()) {
        if (part.type !== 'file') continue;
        const data = await receive.read(part.file);
        if (part.file.truncated) throw new ReceiveLimitError(options.maxBytes);
        files.push({ name: part.filename || part.fieldname, data });
      }
    } catch (error) {
      throw asHttpError(error);
    }
    return files;
  }
  const type = contentType(request);
  if (type === XLSX_TYPE) return [{ name: `${options.defaultName}.xlsx`, data: request.body as Buffer }];
  if (type === 'text/csv') {
    const name = (request.headers['x-file-name'] as string | undefined) ?? `${options.defaultName}.csv`;
    return [{ name: name.endsWith('.csv') ? name : `${name}.csv`, data: request.body as Buffer }];
  }
  return null;
}

/** The request's media type, lowercased, without parameters. */
export function contentType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}
