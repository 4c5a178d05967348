import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  READ_BYTES_PER_SECOND,
  ReceiveBuffer,
  ReceiveLimitError,
  transferableBuffers,
} from '../../src/uploads/receive-buffer.js';

async function* chunks(...parts: number[]): AsyncIterable<Uint8Array> {
  for (const [i, n] of parts.entries()) yield Buffer.alloc(n, 97 + i);
}

const MB = 2 ** 20;

describe('the receive buffer of uploads', () => {
  it('holds the files of a request one after the other, each its own view', async () => {
    const receive = new ReceiveBuffer(8 * MB, 3 * MB);
    const first = await receive.read(chunks(MB, MB));
    const second = await receive.read(chunks(5));
    expect(first.length).toBe(2 * MB);
    expect(first[0]).toBe(97);
    expect(first[2 * MB - 1]).toBe(98);
    expect([...second]).toEqual([97, 97, 97, 97, 97]);
    receive.release();
  });

  it('gives the next request the same memory instead of a new buffer', async () => {
    const one = new ReceiveBuffer(8 * MB, 2 * MB);
    const a = await one.read(chunks(MB));
    one.release();
    const two = new ReceiveBuffer(8 * MB, MB);
    const b = await two.read(chunks(MB));
    expect(b.buffer).toBe(a.buffer);
    // Two requests at once: the second gets a buffer of its own.
    const three = new ReceiveBuffer(8 * MB, MB);
    const c = await three.read(chunks(MB));
    expect(c.buffer).not.toBe(b.buffer);
    two.release();
    three.release();
  });

  it('grows past a content-length that was too small, and stops at its limit', async () => {
    const receive = new ReceiveBuffer(4 * MB, 10);
    const grown = await receive.read(chunks(MB, MB, MB));
    expect(grown.length).toBe(3 * MB);
    expect(grown[3 * MB - 1]).toBe(99);
    await expect(receive.read(chunks(2 * MB))).rejects.toBeInstanceOf(ReceiveLimitError);
    receive.release();
  });

  it('lets a worker take its memory whole, and does not reuse a buffer taken', async () => {
    const receive = new ReceiveBuffer(8 * MB, 2 * MB);
    const file = await receive.read(chunks(MB));
    const pooled = Buffer.from('small'); // a slice of Node's shared pool: copied, never transferred
    expect(transferableBuffers([{ data: file }, { data: pooled }])).toEqual([file.buffer]);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(file, [file.buffer as ArrayBuffer]);
    port1.close();
    port2.close();
    expect(file.buffer.byteLength).toBe(0);
    receive.release();
    const next = new ReceiveBuffer(8 * MB, 2 * MB);
    const again = await next.read(chunks(10));
    expect(again.buffer.byteLength).toBeGreaterThan(0);
    next.release();
  });

  it('a request that ends while its upload is still being read keeps its buffer from the next one', async () => {
    let next!: () => void;
    const gate = new Promise<void>((resolve) => {
      next = resolve;
    });
    async function* slow(): AsyncIterable<Uint8Array> {
      yield Buffer.alloc(1024, 1);
      await gate;
      yield Buffer.alloc(1024, 2);
    }
    const aborted = new ReceiveBuffer(8 * MB, 2 * MB);
    const reading = aborted.read(slow());
    await new Promise((resolve) => setTimeout(resolve, 10));
    aborted.release(); // the client went away mid-upload
    const after = new ReceiveBuffer(8 * MB, 2 * MB);
    const file = await after.read(chunks(2048));
    next();
    await expect(reading).rejects.toThrow('no longer read');
    expect(file.every((byte) => byte === 97)).toBe(true);
    after.release();
  });

  it('reads a large upload no faster than its pace, and a small one at once', async () => {
    await new Promise((resolve) => setTimeout(resolve, 250)); // what the tests above read is paid for
    const small = new ReceiveBuffer(64 * MB, MB);
    let started = performance.now();
    await small.read(chunks(...Array.from({ length: 16 }, () => 64 * 1024)));
    expect(performance.now() - started).toBeLessThan(50);
    small.release();
    // 24 MB: a burst of a tenth of a second's pace at once, the rest at the pace.
    const large = new ReceiveBuffer(64 * MB, 24 * MB);
    started = performance.now();
    await large.read(chunks(...Array.from({ length: 384 }, () => 64 * 1024)));
    const minimumMs = ((24 * MB - 0.1 * READ_BYTES_PER_SECOND - MB) / READ_BYTES_PER_SECOND) * 1000;
    expect(performance.now() - started).toBeGreaterThanOrEqual(minimumMs - 5);
    large.release();
  });
});
