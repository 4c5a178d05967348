/**
 * Sizes of an uploaded zip (an xlsx is one) read from its central directory, before anything is inflated: a 1 MB
 * file that inflates to 1 GB, or a sheet that claims three million rows, is refused with a clear message instead of
 * taking the service's memory and event loop for half a minute. Every upload that is a zip goes through here
 * (the directory now; checklists next).
 */
import { constants, inflateRawSync } from 'node:zlib';

export interface ZipLimits {
  /** All entries together, inflated. */
  maxTotalBytes: number;
  /** How much one entry may inflate relative to its compressed size (zip bombs reach thousands). */
  maxRatio: number;
  /** Rows a worksheet may declare (its `<dimension ref="A1:Z…">`). */
  maxSheetRows: number;
}

export const UPLOAD_LIMITS: ZipLimits = {
  maxTotalBytes: 64 * 1024 * 1024,
  maxRatio: 200,
  maxSheetRows: 100_000,
};

export class UploadTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadTooLargeError';
  }
}

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** The entries listed in the zip's central directory; empty when `data` is not a zip. */
export function zipEntries(data: Buffer): ZipEntry[] {
  // The end-of-central-directory record sits in the last 22 bytes plus a comment of at most 64 KB.
  const from = Math.max(0, data.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = data.length - 22; i >= from; i--) {
    if (data.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return [];
  const count = data.readUInt16LE(eocd + 10);
  let at = data.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count && at + 46 <= data.length; n++) {
    if (data.readUInt32LE(at) !== CENTRAL) break;
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    entries.push({
      method: data.readUInt16LE(at + 10),
      compressedSize: data.readUInt32LE(at + 20),
      size: data.readUInt32LE(at + 24),
      localHeaderOffset: data.readUInt32LE(at + 42),
      name: data.toString('utf8', at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The first bytes of an entry, inflated (at most `want` of them): enough to read a worksheet's dimension. */
function entryHead(data: Buffer, entry: ZipEntry, want: number): string {
  const at = entry.localHeaderOffset;
  if (at + 30 > data.length || data.readUInt32LE(at) !== LOCAL) return '';
  const start = at + 30 + data.readUInt16LE(at + 26) + data.readUInt16LE(at + 28);
  // 2 KB of deflate holds the sheet's first lines (the dimension comes first) and inflates to at most ~2 MB.
  const compressed = data.subarray(start, Math.min(data.length, start + Math.min(entry.compressedSize, 2048)));
  if (entry.method === 0) return compressed.subarray(0, want).toString('utf8');
  if (entry.method !== 8) return '';
  try {
    // A partial stream: inflate what there is, flushing instead of waiting for its end.
    return inflateRawSync(compressed, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, want).toString('utf8');
  } catch {
    return '';
  }
}

/** The last row a worksheet declares, from `<dimension ref="A1:Z300">`; null when it does not say. */
function declaredRows(head: string): number | null {
  const match = /<dimension\s+ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"/.exec(head);
  return match ? Number(match[1] ?? 1) : null;
}

/**
 * Throws UploadTooLargeError, naming the file and the limit, when a zip would inflate past the limits or a worksheet
 * declares more rows than allowed. Files that are not zips pass (their own reader says what is wrong with them).
 */
export function checkZipUpload(data: Buffer, fileName: string, limits: ZipLimits = UPLOAD_LIMITS): void {
  const entries = zipEntries(data);
  let total = 0;
  for (const entry of entries) {
    total += entry.size;
    const ratio = entry.size / Math.max(1, entry.compressedSize);
    if (entry.size > 1024 * 1024 && ratio > limits.maxRatio) {
      throw new UploadTooLargeError(
        `${fileName} 中的 ${entry.name} 压缩比异常（${Math.round(ratio)} 倍，解压后 ${mib(entry.size)}），疑为压缩炸弹，已拒收`,
      );
    }
  }
  if (total > limits.maxTotalBytes) {
    throw new UploadTooLargeError(
      `${fileName} 解压后共 ${mib(total)}，超过上限 ${mib(limits.maxTotalBytes)}；请拆分成几个文件分别导入`,
    );
  }
  for (const entry of entries) {
    if (!/^xl\/worksheets\/[^/]+\.xml$/.test(entry.name)) continue;
    const rows = declaredRows(entryHead(data, entry, 4096));
    if (rows !== null && rows > limits.maxSheetRows) {
      throw new UploadTooLargeError(
        `${fileName} 的一张工作表声明有 ${rows.toLocaleString('en-US')} 行，超过上限 ${limits.maxSheetRows.toLocaleString('en-US')} 行；请拆分后分别导入`,
      );
    }
  }
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
