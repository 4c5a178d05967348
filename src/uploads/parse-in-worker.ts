/**
 * Parses an upload in a worker thread, so that reading a spreadsheet never holds the event loop: `/healthz`, webhook
 * acks and card clicks keep answering within Feishu's 3 s while a file of 30 MB is read. The worker gets a heap limit
 * of its own, so that a hostile file ends the worker (answered as UploadWorkerError 'memory'), not the process; and a
 * time limit, after which it is ended too.
 *
 * One parse at a time per process: a second upload while one is parsed is refused at once ('busy') rather than
 * queued. A queued upload would hold its body (up to 64 MB) while it waits, so that a few of them would take the
 * memory the limit is there to keep; an admin's upload is rare and a retry a moment later costs nothing.
 *
 * A task is a function exported by a module, called in the worker with a structured-cloneable input; its answer is
 * cloned back. The directory import is one (directory/parse-files.ts); the checklist import is to be another.
 */
import { Worker } from 'node:worker_threads';

export interface WorkerTask {
  /** The module's URL: `new URL('./my-module.js', import.meta.url)`, as if importing it from the caller. */
  module: URL;
  /** The exported function to call; it takes the input and returns (a promise of) a structured-cloneable value. */
  name: string;
}

export interface WorkerLimits {
  /** The worker's heap (V8's old generation). The process stays under 512 MB with one worker of 192 MB. */
  maxHeapMb: number;
  /** How long a parse may take before its worker is ended. */
  timeoutMs: number;
}

export const PARSE_WORKER_LIMITS: WorkerLimits = { maxHeapMb: 192, timeoutMs: 60_000 };

export type UploadWorkerFailure = 'busy' | 'memory' | 'timeout' | 'crashed';

/** The parse did not give an answer: another one is running, or the worker ran out of memory or time, or died. */
export class UploadWorkerError extends Error {
  constructor(
    readonly reason: UploadWorkerFailure,
    message: string,
  ) {
    super(message);
    this.name = 'UploadWorkerError';
  }
}

/** What the worker is given (worker-entry.ts reads it). */
export interface WorkerJob {
  module: string;
  name: string;
  input: unknown;
}

export type WorkerAnswer = { ok: true; value: unknown } | { ok: false; error: { name: string; message: string } };

let running = false;

/** Whether a parse is running now (the HTTP layer refuses a second upload before reading its body). */
export function isParseRunning(): boolean {
  return running;
}

/**
 * Runs `task` on `input` in a worker and resolves with its answer. An error thrown by the task is thrown here with
 * its name and message. `transfer` hands buffers of the input to the worker instead of copying them (they are
 * unusable here afterwards).
 */
export async function parseInWorker<T>(
  task: WorkerTask,
  input: unknown,
  options: { limits?: WorkerLimits; transfer?: ArrayBuffer[] } = {},
): Promise<T> {
  if (running) {
    throw new UploadWorkerError('busy', '另一个上传的文件正在解析，请稍后（约一分钟内）重试');
  }
  running = true;
  try {
    return await runWorker<T>(task, input, options.limits ?? PARSE_WORKER_LIMITS, options.transfer ?? []);
  } finally {
    running = false;
  }
}

function runWorker<T>(task: WorkerTask, input: unknown, limits: WorkerLimits, transfer: ArrayBuffer[]): Promise<T> {
  const job: WorkerJob = { module: task.module.href, name: task.name, input };
  const worker = startWorker(job, limits, transfer);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
      void worker.terminate();
    };
    const timer = setTimeout(() => {
      settle(() =>
        reject(
          new UploadWorkerError(
            'timeout',
            `文件在 ${Number((limits.timeoutMs / 1000).toFixed(1))} 秒内没有解析完，已停止；请拆分后分别导入`,
          ),
        ),
      );
    }, limits.timeoutMs);
    worker.once('message', (answer: WorkerAnswer) => {
      settle(() => {
        if (answer.ok) resolve(answer.value as T);
        else reject(Object.assign(new Error(answer.error.message), { name: answer.error.name }));
      });
    });
    worker.once('error', (error: Error & { code?: string }) => {
      settle(() =>
        reject(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new UploadWorkerError(
                'memory',
                `解析这个文件需要的内存超过上限 ${limits.maxHeapMb} MB，已停止；请检查文件或拆分后分别导入`,
              )
            : new UploadWorkerError('crashed', `解析文件时出错：${error.message}`),
        ),
      );
    });
    worker.once('exit', (code) => {
      settle(() => reject(new UploadWorkerError('crashed', `解析文件的线程意外退出（退出码 ${code}）`)));
    });
  });
}

/**
 * The worker, on the compiled entry (dist/uploads/worker-entry.js) or, when this module runs from its TypeScript
 * source (tsx, vitest), on the .ts entry with tsx's loader registered inside the worker first: a worker does not
 * inherit the loader its parent was started with.
 */
function startWorker(job: WorkerJob, limits: WorkerLimits, transfer: ArrayBuffer[]): Worker {
  const options = {
    workerData: job,
    transferList: transfer,
    resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb, maxYoungGenerationSizeMb: 16 },
    // The worker writes nothing to the console; its errors come back as answers.
    stdout: false,
    stderr: false,
  };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker-entry.js', import.meta.url), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker-entry.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
