import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const MODULE = new URL('../../src/thread-priority.ts', import.meta.url).href;

// In a process of its own: the nice values it sets cannot be raised back by an unprivileged process.
const SCRIPT = `
import { readdirSync, readFileSync } from 'node:fs';
import { lowerBackgroundThreads } from ${JSON.stringify(MODULE)};
const lowered = lowerBackgroundThreads();
const nice = (tid) => {
  const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};
const threads = readdirSync('/proc/self/task').map(Number).map((tid) => ({ main: tid === process.pid, nice: nice(tid) }));
console.log(JSON.stringify({ lowered, threads }));
`;

describe.runIf(process.platform === 'linux')('the background threads’ priority (thread-priority.ts)', () => {
  it('puts every thread but the event loop’s at nice 19, and leaves the event loop’s alone', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
      encoding: 'utf8',
    });
    const { lowered, threads } = JSON.parse(out.trim().split('\n').at(-1)!) as {
      lowered: number;
      threads: { main: boolean; nice: number }[];
    };
    // V8's platform workers at least (four by default).
    expect(lowered).toBeGreaterThanOrEqual(4);
    expect(threads.filter((t) => t.main)).toEqual([{ main: true, nice: 0 }]);
    const others = threads.filter((t) => !t.main);
    expect(others.length).toBeGreaterThanOrEqual(lowered);
    // Threads made after the call (none expected here) would keep the main thread's 0.
    expect(others.filter((t) => t.nice === 19).length).toBe(lowered);
  });
});
