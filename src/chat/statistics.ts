/** 确认 on a unit's 统计分析表 card: the principal's signature (src/ledger/statistics-duty.ts decides who may). */
import type { CardActionResponse } from '../feishu/events.js';
import { confirmStatistics } from '../ledger/statistics-duty.js';
import type { CardClick } from './card-click.js';
import type { QueryDeps } from './queries.js';

export async function confirmStatisticsFromCard(
  deps: QueryDeps,
  click: CardClick<'statistics.confirm'>,
): Promise<CardActionResponse> {
  const outcome = await confirmStatistics(deps.db, {
    unitCode: click.value.unit,
    periodKey: click.value.period,
    operatorOpenId: click.operatorOpenId,
    now: deps.clock.now(),
    calendar: deps.calendar,
  });
  return outcome.card ? { toast: outcome.toast, card: { type: 'raw', data: outcome.card } } : { toast: outcome.toast };
}
