import type { FaultSpec, Faults } from './types.js';

/** What the simulator should do to one call, decided before it is handled. */
export type FaultAction =
  | { kind: 'fail'; status: number; code: number; msg: string; headers: Record<string, string> }
  | { kind: 'rateLimit' }
  | { kind: 'noAnswer' };

interface Pending {
  api: string;
  remaining: number;
  action: FaultAction;
}

/** Injected faults, consumed in the order they were added; latency applies to every matching call. */
export class FaultPlan implements Faults {
  private pending: Pending[] = [];
  private readonly latencies = new Map<string, number>();

  failNext(api: string, spec: FaultSpec = {}): void {
    const status = spec.status ?? 500;
    this.add(api, spec.times ?? 1, {
      kind: 'fail',
      status,
      code: spec.code ?? (status >= 500 ? status : 230001),
      msg: spec.msg ?? (status >= 500 ? 'internal error (simulated fault)' : 'simulated fault'),
      headers: spec.headers ?? {},
    });
  }

  rateLimitBurst(api: string, times = 1): void {
    this.add(api, times, { kind: 'rateLimit' });
  }

  latency(api: string, ms: number): void {
    if (ms > 0) this.latencies.set(api, ms);
    else this.latencies.delete(api);
  }

  acceptButNoAnswer(api: string, times = 1): void {
    this.add(api, times, { kind: 'noAnswer' });
  }

  clear(): void {
    this.pending = [];
    this.latencies.clear();
  }

  latencyFor(api: string): number {
    return this.latencies.get(api) ?? this.latencies.get('*') ?? 0;
  }

  /** Takes the first fault that matches `api` (or '*'), using up one of its times. */
  take(api: string): FaultAction | null {
    const index = this.pending.findIndex((p) => p.api === api || p.api === '*');
    if (index < 0) return null;
    const fault = this.pending[index]!;
    fault.remaining--;
    if (fault.remaining <= 0) this.pending.splice(index, 1);
    return fault.action;
  }

  private add(api: string, times: number, action: FaultAction): void {
    if (!Number.isInteger(times) || times < 1)
      throw new Error(`fault "times" must be a whole number ≥ 1, got ${times}`);
    this.pending.push({ api, remaining: times, action });
  }
}
