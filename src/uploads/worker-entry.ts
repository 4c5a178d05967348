/**
 * The code a parse worker runs (see parse-in-worker.ts): imports the task's module, calls its function with the
 * input and posts back the answer, or the error's name and message.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { BACKGROUND_NICE } from '../thread-priority.js';
import type { WorkerAnswer, WorkerJob } from './parse-in-worker.js';

// The background threads' priority (thread-priority.ts): on a busy box of two cores the parse takes what CPU is left, not the acks' share.
// (On Linux the nice value is per thread; elsewhere this may not apply, or apply to the process: then it is skipped.)
if (process.platform === 'linux') {
  try {
    setPriority(BACKGROUND_NICE);
  } catch {
    // not allowed here: the parse runs at the process's priority
  }
}

const job = workerData as WorkerJob;
let answer: WorkerAnswer;
try {
  const module = (await import(job.module)) as Record<string, unknown>;
  const task = module[job.name];
  if (typeof task !== 'function') throw new Error(`${job.module} has no function ${job.name}`);
  answer = { ok: true, value: await task(job.input) };
} catch (error) {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  answer = { ok: false, error: { name, message } };
}
parentPort!.postMessage(answer);
