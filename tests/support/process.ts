import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `node --import tsx src/server.ts` as its own process, the way `npm start` does; or, with `build`, the compiled
 * `node dist/server.js` of `npm run start:prod` (after `npm run build`).
 */
export async function spawnService(
  env: Record<string, string | undefined>,
  options: { build?: boolean } = {},
): Promise<RunningProcess> {
  const port = env.PORT ?? String(await freePort());
  // SERVICE_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the service under a benchmark.
  const nodeArgs = process.env.SERVICE_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const entry = options.build ? ['dist/server.js'] : ['--import', 'tsx', 'src/server.ts'];
  const child = spawn(process.execPath, [...nodeArgs, ...entry], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', HOST: '127.0.0.1', ...env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  living.add(child);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      living.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/**
 * Services a test left running (it failed before stopping its own). Test files kill them in afterEach: an orphan
 * would keep a port and a database, and once the test deletes its data dir it spins on a whole core. (An 'exit'
 * hook is not enough: the test runner ends its workers with a signal.)
 */
const living = new Set<ChildProcess>();

export async function killLeftoverServices(): Promise<void> {
  const left = [...living];
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(left.map((child) => new Promise((resolve) => child.once('exit', resolve))));
}
process.once('exit', () => {
  for (const child of living) child.kill('SIGKILL');
});

/** Polls `/readyz` until it answers 200; returns the milliseconds it took. */
export async function waitUntilReady(proc: RunningProcess, timeoutMs = 45_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const status = await fetch(`${proc.url}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return performance.now() - started;
    if (proc.child.exitCode !== null) throw new Error(`the service exited early:\n${proc.output()}`);
    await sleep(50);
  }
  throw new Error(`not ready within ${timeoutMs} ms:\n${proc.output()}`);
}
