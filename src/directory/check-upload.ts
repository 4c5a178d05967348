/**
 * A directory upload (xlsx / CSV files) read and checked in a worker thread (uploads/parse-in-worker.ts): the
 * spreadsheet parse, the field checks and the reference checks against the stored directory all run there, so that
 * the service's event loop stays free. A file with problems comes back as its first problems in file order and their
 * count, never as the whole list (a file of 275,000 bad rows has half a million): the answer lists no more, and
 * copying the rest back would hold the event loop for seconds. A file without problems comes back parsed, to import.
 */
import { parseInWorker, type WorkerLimits } from '../uploads/parse-in-worker.js';
import { transferableBuffers } from '../uploads/receive-buffer.js';
import { checkZipUpload, UPLOAD_LIMITS, UploadTooLargeError, type ZipLimits } from '../uploads/zip-guard.js';
import { type DirectoryIssue, type ImportMode, LISTED_ISSUES, sortIssues } from './model.js';
import { parseDirectoryFiles, type UploadedFile } from './parse-files.js';
import type { ParsedInput } from './parse-input.js';
import type { DirectoryState } from './state.js';
import { firstReferenceIssues } from './validate.js';

export type CheckedUpload =
  | { ok: true; parsed: ParsedInput }
  | {
      ok: false;
      /** The first problems in file order (at most LISTED_ISSUES of them). */
      issues: DirectoryIssue[];
      /** How many problems there are in all. */
      total: number;
    };

/** Limits of an uploaded file and of the worker that reads it (tests lower them). */
export interface UploadLimitOptions {
  /** Sizes and rows a file may have. */
  limits?: ZipLimits | undefined;
  /** The worker's heap and time. */
  worker?: WorkerLimits | undefined;
}

export interface UploadCheckOptions extends UploadLimitOptions {
  /** The stored directory, to check references against, and how the upload is to be applied. */
  state: DirectoryState;
  mode: ImportMode;
}

/**
 * Reads and checks `files` in a worker. Throws UploadWorkerError when another upload is being parsed or the files
 * take too much memory or time. The files' buffers are handed to the worker, not copied, when they are theirs alone.
 */
export async function checkDirectoryUploadInWorker(
  files: UploadedFile[],
  options: UploadCheckOptions,
): Promise<CheckedUpload> {
  const limits = options.limits ?? UPLOAD_LIMITS;
  // The zip directory's sizes are read here, at no cost: a bomb or a sheet declaring millions of rows is answered at
  // once, without starting a worker.
  const refused: DirectoryIssue[] = [];
  for (const file of files) {
    if (!/\.xlsx$/i.test(file.name)) continue;
    try {
      checkZipUpload(file.data, file.name, limits);
    } catch (error) {
      if (!(error instanceof UploadTooLargeError)) throw error;
      refused.push({ sheet: file.name, row: 0, reason: error.message });
    }
  }
  if (refused.length > 0) return { ok: false, issues: refused, total: refused.length };
  const job: UploadCheckJob = {
    files,
    limits,
    state: options.state,
    mode: options.mode,
  };
  return parseInWorker<CheckedUpload>(
    { module: new URL('./check-upload.js', import.meta.url), name: checkDirectoryUpload.name },
    job,
    { limits: options.worker, transfer: transferableBuffers(files) },
  );
}

interface UploadCheckJob {
  files: { name: string; data: Uint8Array }[];
  limits: ZipLimits;
  state: DirectoryState;
  mode: ImportMode;
}

/** The worker's side of checkDirectoryUploadInWorker (the buffers arrive as plain Uint8Arrays). */
export async function checkDirectoryUpload(job: UploadCheckJob): Promise<CheckedUpload> {
  const files = job.files.map((file) => ({
    name: file.name,
    data: Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength),
  }));
  const parsed = await parseDirectoryFiles(files, job.limits, { keepIssues: LISTED_ISSUES });
  const references = firstReferenceIssues(parsed.input, job.state, job.mode, {
    keep: LISTED_ISSUES,
    sheets: parsed.sheets ?? [],
  });
  const total = parsed.issues.length + (parsed.omittedIssues ?? 0) + references.total;
  if (total === 0) return { ok: true, parsed };
  const issues = sortIssues([...parsed.issues, ...references.issues], parsed.sheets);
  return { ok: false, issues: issues.slice(0, LISTED_ISSUES), total };
}
