import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** One line naming the machine, so figures are read against the box they came from. */
export function describeMachine(): string {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** CPU seconds used so far by one process (Linux /proc; 0 elsewhere or once it has ended). */
export function cpuSecondsOfPid(pid: number): number {
  return readProcessCpu(String(pid))?.seconds ?? 0;
}

/**
 * CPU seconds used so far by every process with this command name on the box (Linux /proc; 0 elsewhere), e.g. the
 * PostgreSQL server's backends when it runs on the same machine: beside the bench's own process.cpuUsage() it says
 * which side of a database-bound benchmark is saturated.
 */
export function cpuSecondsOf(command: string): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  let seconds = 0;
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    const cpu = readProcessCpu(pid);
    if (cpu?.command === command) seconds += cpu.seconds;
  }
  return seconds;
}

function readProcessCpu(pid: string): { command: string; seconds: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux); fields[0] is field 3.
    return {
      command: stat.slice(stat.indexOf('(') + 1, close),
      seconds: (Number(fields[11]) + Number(fields[12])) / 100,
    };
  } catch {
    return undefined; // not Linux, or the process ended while we looked
  }
}

/** The kernel's pressure stall figures (PSI): the share of time some task waited for a CPU, or for I/O. */
export interface Pressure {
  at: number;
  cpuSomeUs: number;
  ioSomeUs: number;
  ioFullUs: number;
}

export function readPressure(): Pressure | undefined {
  try {
    const total = (file: string, kind: 'some' | 'full') =>
      Number(new RegExp(`^${kind} .*total=(\\d+)`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? Number.NaN);
    return {
      at: performance.now(),
      cpuSomeUs: total('/proc/pressure/cpu', 'some'),
      ioSomeUs: total('/proc/pressure/io', 'some'),
      ioFullUs: total('/proc/pressure/io', 'full'),
    };
  } catch {
    return undefined; // not Linux, or a kernel without PSI
  }
}

/**
 * PSI over an interval, e.g. "CPU some 62%": for 62% of the time at least one runnable task waited for a core. On a
 * shared box it says how loaded it was while a benchmark ran (the bench's own processes included).
 */
export function describePressure(before: Pressure | undefined, after: Pressure | undefined): string {
  if (!before || !after) return 'PSI n/a';
  const share = (us: number) => `${Math.round((100 * us) / 1000 / (after.at - before.at))}%`;
  return (
    `PSI CPU some ${share(after.cpuSomeUs - before.cpuSomeUs)}, I/O some ${share(after.ioSomeUs - before.ioSomeUs)}` +
    ` full ${share(after.ioFullUs - before.ioFullUs)}`
  );
}
