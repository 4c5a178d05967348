import { describe, expect, it } from 'vitest';
import { isParseRunning, parseInWorker, UploadWorkerError } from '../../src/uploads/parse-in-worker.js';

const tasks = new URL('../fixtures/uploads/worker-tasks.js', import.meta.url);
const task = (name: string) => ({ module: tasks, name });
const limits = { maxHeapMb: 64, timeoutMs: 4000 };

describe('parsing an upload in a worker thread', () => {
  it('runs the task on its input there, with the buffers handed over instead of copied', async () => {
    const data = new Uint8Array(1024 * 1024).fill(2);
    const answer = await parseInWorker(task('sumBytes'), { data }, { limits, transfer: [data.buffer] });
    expect(answer).toEqual({ length: 1024 * 1024, sum: 2 * 1024 * 1024 });
    // Handed over: no longer usable here.
    expect(data.byteLength).toBe(0);
  });

  it("throws the task's error with its name and message", async () => {
    const failed = parseInWorker(task('fail'), '坏文件', { limits });
    await expect(failed).rejects.toThrow('坏文件');
    await expect(failed).rejects.toMatchObject({ name: 'RangeError' });
  });

  it('ends a worker that runs out of its heap, and the process goes on', async () => {
    const started = performance.now();
    const hoarding = parseInWorker(task('hoard'), undefined, { limits: { maxHeapMb: 32, timeoutMs: 4000 } });
    await expect(hoarding).rejects.toThrow(UploadWorkerError);
    await expect(hoarding).rejects.toMatchObject({
      reason: 'memory',
      message: expect.stringContaining('内存超过上限 32 MB'),
    });
    expect(performance.now() - started).toBeLessThan(4000);
    await expect(parseInWorker(task('wait'), 1, { limits })).resolves.toBe('done');
  });

  it('ends a worker that takes too long', async () => {
    const slow = parseInWorker(task('wait'), 10_000, { limits: { maxHeapMb: 64, timeoutMs: 300 } });
    await expect(slow).rejects.toMatchObject({ reason: 'timeout', message: expect.stringContaining('秒内没有解析完') });
  });

  it('parses one upload at a time: a second one meanwhile is refused at once, not queued', async () => {
    const first = parseInWorker(task('wait'), 300, { limits });
    expect(isParseRunning()).toBe(true);
    await expect(parseInWorker(task('wait'), 1, { limits })).rejects.toMatchObject({
      reason: 'busy',
      message: expect.stringContaining('正在解析，请稍后'),
    });
    await expect(first).resolves.toBe('done');
    expect(isParseRunning()).toBe(false);
  });
});
