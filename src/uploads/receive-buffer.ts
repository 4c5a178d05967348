/**
 * Uploaded files are read into a buffer kept from one upload to the next, instead of gathered chunk by chunk and
 * joined into a new buffer each time. A new buffer of megabytes per upload is memory outside V8's heap that V8 gives
 * back only by collecting its whole heap: under a stream of uploads refused in milliseconds (a zip bomb, a sheet that
 * claims millions of rows) it ran a full collection several times a second, each a pause of the event loop that the
 * webhook acks waited behind. With one buffer reused, those collections stop (`npm run bench:uploads`). The bytes
 * are also read at a pace (READ_BYTES_PER_SECOND), so that a flood of uploads cannot take the event loop's time.
 *
 * One spare buffer is kept for the process: the largest released, at most the largest limit asked for. Its pages
 * stay resident once written, so it costs at most that limit after a large upload. A buffer handed to a parse worker
 * is transferred there, not copied (`transferableBuffers`), and so is not reused.
 */

/** The files of one request went past the bytes it may carry. */
export class ReceiveLimitError extends Error {
  constructor(readonly maxBytes: number) {
    super(`上传的文件合计超过 ${Math.round(maxBytes / 2 ** 20)} MB 的上限`);
    this.name = 'ReceiveLimitError';
  }
}

/** Buffers allocated here: every byte of them belongs to one request, so a worker may take them whole. */
const owned = new WeakSet<ArrayBufferLike>();
let spare: Buffer | null = null;
/** The least a buffer is made: a request without a content-length starts here and grows. */
const MIN_BYTES = 64 * 1024;

/** Holds one request's uploaded files, one after the other, in a buffer that goes back to the spare afterwards. */
export class ReceiveBuffer {
  private buffer: Buffer;
  private used = 0;
  private reading = false;
  private released = false;

  /** `expectedBytes` is the request's content-length when it says one (the files are within it). */
  constructor(
    private readonly maxBytes: number,
    expectedBytes?: number,
  ) {
    const wanted = Math.min(Math.max(expectedBytes ?? 0, MIN_BYTES), maxBytes);
    if (spare && spare.length >= wanted) {
      this.buffer = spare;
      spare = null;
    } else {
      this.buffer = allocate(wanted);
    }
  }

  /** Reads `stream` to its end; answers its bytes (a view into this buffer, valid until `release`). */
  async read(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
    const start = this.used;
    this.reading = true;
    try {
      for await (const chunk of stream) {
        await pace(chunk.length);
        if (this.released) throw new Error('the request is over: its upload is no longer read');
        this.reserve(chunk.length);
        this.buffer.set(chunk, this.used);
        this.used += chunk.length;
      }
    } finally {
      this.reading = false;
    }
    return this.buffer.subarray(start, this.used);
  }

  /** Gives the buffer back for the next upload, unless a worker took it. The views `read` gave are void after. */
  release(): void {
    if (this.released) return;
    this.released = true;
    // A transferred ArrayBuffer is detached here: its length reads 0. A read still under way (the client went away
    // while it waited for its pace) could write into it after the next request took it: it is dropped instead.
    if (this.buffer.buffer.byteLength === 0 || this.reading) return;
    if (!spare || this.buffer.length > spare.length) spare = this.buffer;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return;
    if (this.used + bytes > this.maxBytes) throw new ReceiveLimitError(this.maxBytes);
    // A request without a content-length, or one longer than it said: grow. The files read before keep their views
    // of the old buffer (still theirs alone, and transferable with it).
    const grown = allocate(Math.min(Math.max(this.buffer.length * 2, this.used + bytes), this.maxBytes));
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
  }
}

/**
 * Uploads are read at most this fast, all of them together. Receiving a body costs the event loop a read and a copy
 * per 64 KB, and on a box of two cores the kernel's share of a fast stream besides: a flood of uploads read as fast
 * as loopback delivers them (hundreds of MB/s) took enough of both that webhook acks waited. 64 MB/s is about
 * half of what a 1 Gbit/s link can bring and more than an office link does: the largest file taken (64 MB) is read in
 * a second, a real directory (under 1 MB) at once. TCP holds the sender back while we wait.
 */
export const READ_BYTES_PER_SECOND = 64 * 2 ** 20;
/** A tenth of a second's bytes (6.4 MB) may be read at once, before the pace applies: a small upload is never held. */
const READ_BURST_MS = 100;
/** performance.now() by which every byte read so far has been paid for at READ_BYTES_PER_SECOND. */
let paidUntil = 0;

async function pace(bytes: number): Promise<void> {
  const now = performance.now();
  paidUntil = Math.max(paidUntil, now - READ_BURST_MS) + (bytes / READ_BYTES_PER_SECOND) * 1000;
  const wait = paidUntil - now;
  if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
}

function allocate(bytes: number): Buffer {
  // Not from Node's shared pool: the whole ArrayBuffer is this request's, so it can be reused and transferred.
  const buffer = Buffer.allocUnsafeSlow(bytes);
  owned.add(buffer.buffer);
  return buffer;
}

/**
 * The memory of `files` that a parse worker may take over instead of a copy: buffers read here, and buffers that own
 * all of their memory. (Small buffers share Node's pool with others: those are copied.)
 */
export function transferableBuffers(files: { data: Uint8Array }[]): ArrayBuffer[] {
  const transfer = new Set<ArrayBuffer>();
  for (const { data } of files) {
    if (!(data.buffer instanceof ArrayBuffer)) continue;
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    if (whole || owned.has(data.buffer)) transfer.add(data.buffer);
  }
  return [...transfer];
}
