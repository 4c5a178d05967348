/**
 * The event loop's thread answers Feishu (a webhook must be acknowledged within 3 s, our bar is 15 ms) and everything
 * else in the process can wait for it. On Linux each thread has its own nice value, so at start the process's other
 * threads — V8's platform workers (garbage collection, compilation) and libuv's pool when it already exists — are put
 * at the lowest priority. Threads made later inherit the priority of the thread that makes them: the event loop's
 * own (libuv's pool, made on first use) stay as they are; the upload parser lowers its own thread
 * (uploads/worker-entry.ts).
 *
 * Why: parsing a hostile 8 MB spreadsheet in the worker thread for 7 s, /proc showed V8's four platform threads
 * spending 4.0 CPU-seconds on its garbage collection at nice 0 — more than the parse's own 3.7 s at nice 10 — and the
 * event acks' p99 went from 6 ms to 18–31 ms. With those threads at nice 19 it was 12 ms; without a parse nothing
 * changed (6.7 ms). V8 never waits on a helper: the main thread does a collection's work itself when they are slow.
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
