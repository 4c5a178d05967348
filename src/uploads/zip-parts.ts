/**
 * One part (entry) of a zip, inflated chunk by chunk and handed to a SAX parser: memory follows the chunk, not the
 * part. The bytes are counted as they come out, against the size the zip's directory declared for the part (which
 * zip-guard.ts checked before): a directory that lies is caught here.
 */
import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { SaxesParser } from 'saxes';
import { UploadTooLargeError, type ZipEntry } from './zip-guard.js';

/** The file is not an xlsx at all, or a part of it is not well-formed. */
export class UnreadableWorkbookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableWorkbookError';
  }
}

/** What a part's XML is handed to: elements by their name without namespace prefix, and text. */
export interface XmlHandlers {
  open(name: string, attributes: Record<string, string>): void;
  text?(text: string): void;
  close?(name: string): void;
}

const LOCAL = 0x04034b50;

/** Parses one part of the zip; false when it is not there. */
export async function parsePart(
  data: Buffer,
  entry: ZipEntry,
  fileName: string,
  handlers: XmlHandlers,
): Promise<boolean> {
  const at = entry.localHeaderOffset;
  if (at + 30 > data.length || data.readUInt32LE(at) !== LOCAL) {
    throw new UnreadableWorkbookError(`zip 条目 ${entry.name} 损坏`);
  }
  const start = at + 30 + data.readUInt16LE(at + 26) + data.readUInt16LE(at + 28);
  const compressed = data.subarray(start, start + entry.compressedSize);
  if (entry.method !== 0 && entry.method !== 8) {
    throw new UnreadableWorkbookError(`zip 条目 ${entry.name} 使用了不支持的压缩方式 ${entry.method}`);
  }
  const parser = new SaxesParser();
  // Names without their namespace prefix: some writers spell every element `x:row`.
  const local = (name: string) => name.slice(name.indexOf(':') + 1);
  parser.on('opentag', (node) => handlers.open(local(node.name), node.attributes as Record<string, string>));
  if (handlers.text) {
    const text = handlers.text.bind(handlers);
    parser.on('text', text);
    parser.on('cdata', text);
  }
  if (handlers.close) {
    const close = handlers.close.bind(handlers);
    parser.on('closetag', (node) => close(local(node.name)));
  }
  const decoder = new TextDecoder('utf-8');
  const source =
    entry.method === 0 ? Readable.from(chunksOf(compressed)) : Readable.from([compressed]).pipe(createInflateRaw());
  let inflated = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      inflated += chunk.length;
      // The directory's sizes were checked against the limits (zip-guard.ts); holding each part to its declared size
      // holds the whole file to them, and catches a directory that lies.
      if (inflated > entry.size) {
        throw new UploadTooLargeError(
          `${fileName} 中的 ${entry.name} 解压后比 zip 目录声明的更大，疑为压缩炸弹，已拒收`,
        );
      }
      parser.write(decoder.decode(chunk, { stream: true }));
    }
    parser.write(decoder.decode());
    parser.close();
  } catch (error) {
    source.destroy();
    if (error instanceof UploadTooLargeError) throw error;
    throw new UnreadableWorkbookError(`${entry.name}：${(error as Error).message}`);
  }
  return true;
}

function* chunksOf(data: Buffer): Generator<Buffer> {
  for (let at = 0; at < data.length; at += 64 * 1024) yield data.subarray(at, at + 64 * 1024);
}
