/**
 * The event loop's thread answers Feishu (a webhook must be acknowledged within 3 s, our bar is 15 ms) and everything
 * else in the process can wait for it. On Linux each thread has its own nice value, so at start the process's other
 * threads — V8's platform workers (garbage collection, compilation) and libuv's pool when it already exists — are put
 * at the lowest priority. A thread made later inherits the priority of the thread that makes it, so libuv's pool,
 * when the event loop first needs it, keeps the normal priority; the upload parser lowers its own thread
 * (uploads/worker-entry.ts).
 *
 * Why: while the upload parser's thread reads a large spreadsheet, V8's platform threads collect its garbage, and at
 * the process's priority they took more CPU than the parse itself and delayed the acks (docs/benchmarks.md, 恶意上传).
 * A collection does not depend on the helpers to finish: the main thread joins in and does the work when they are slow.
 */
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

export const BACKGROUND_NICE = 19;

/** Lowers every thread but the event loop's; returns how many were lowered (0 off Linux or when not allowed). */
export function lowerBackgroundThreads(niceness = BACKGROUND_NICE): number {
  if (process.platform !== 'linux') return 0;
  let tids: number[];
  try {
    tids = readdirSync('/proc/self/task').map(Number);
  } catch {
    return 0;
  }
  let lowered = 0;
  for (const tid of tids) {
    if (tid === process.pid) continue;
    try {
      setPriority(tid, niceness);
      lowered++;
    } catch {
      // gone meanwhile, or not allowed: it keeps its priority
    }
  }
  return lowered;
}
