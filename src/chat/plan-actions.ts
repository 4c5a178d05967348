/** The 治理方案 cards' buttons (hazards/governance-plan.ts): 提交治理方案, 通过, 退回. */
import type { CardActionResponse } from '../feishu/events.js';
import { type PlanAnswer, reviewPlan, submitPlan } from '../hazards/governance-plan.js';
import { type CardClick, formField } from './card-click.js';
import type { HazardChatDeps } from './hazards.js';

const answer = (a: PlanAnswer): CardActionResponse => ({
  toast: a.toast,
  ...(a.card ? { card: { type: 'raw' as const, data: a.card } } : {}),
});

/** 提交治理方案 */
export async function submitGovernancePlan(deps: HazardChatDeps, click: CardClick<'plan.submit'>) {
  return answer(
    await submitPlan(deps, { openId: click.operatorOpenId, code: click.value.code, formValue: click.formValue }),
  );
}

/** 通过 / 退回 on the department's card. */
export async function decideGovernancePlan(deps: HazardChatDeps, click: CardClick<'plan.accept' | 'plan.return'>) {
  return answer(
    await reviewPlan(deps, {
      openId: click.operatorOpenId,
      code: click.value.code,
      version: click.value.version,
      decision: click.value.action === 'plan.accept' ? 'accept' : 'return',
      reason: formField(click, 'reason'),
    }),
  );
}
