/**
 * The buttons of a tip's card (群众举报): 受理, 不予受理, 属实, 不属实 and the two small forms, handed to
 * tips/handling.ts. 属实 sends the clicker the report form, prefilled from the tip with its photos attached.
 */
import type { CardActionResponse } from '../feishu/events.js';
import { clickTip, type TipClick } from '../tips/handling.js';
import { cardAnswer, enqueueAnswer } from './answer.js';
import { type CardClick, formField } from './card-click.js';
import { type HazardChatDeps, reportForm } from './hazards.js';

type TipActionName =
  | 'tip.accept'
  | 'tip.startDecline'
  | 'tip.decline'
  | 'tip.confirm'
  | 'tip.startUnfounded'
  | 'tip.unfounded'
  | 'tip.startReward'
  | 'tip.reward';

export async function answerTipClick<A extends TipActionName>(
  deps: HazardChatDeps,
  click: CardClick<A>,
): Promise<CardActionResponse> {
  const outcome = await clickTip(deps, {
    openId: click.operatorOpenId,
    code: click.value.code,
    messageId: click.messageId,
    click: tipClickOf(click as CardClick<TipActionName>),
    sendReportForm: async (tx, draft, to) => {
      if (!to.openId) return;
      const card = await reportForm({ ...deps, db: tx }, draft.draftId, draft.values, undefined, draft.photoCount, {
        title: `群众举报 ${draft.tipCode} 核查属实`,
        note: '已填入举报内容和照片：请补全行业、等级、整改措施与期限后提交，提交后举报即记为属实',
      });
      await enqueueAnswer(tx, { openId: to.openId }, cardAnswer(card, `tip:${draft.tipCode}:report`));
    },
  });
  const card = outcome.card ? { card: { type: 'raw' as const, data: outcome.card } } : {};
  return outcome.kind === 'refused'
    ? { toast: { type: 'error', content: outcome.message }, ...card }
    : { toast: { type: 'success', content: outcome.message }, ...card };
}

function tipClickOf(click: CardClick<TipActionName>): TipClick {
  switch (click.value.action) {
    case 'tip.accept':
      return { type: 'accept' };
    case 'tip.startDecline':
      return { type: 'startDecline' };
    case 'tip.startUnfounded':
      return { type: 'startUnfounded' };
    case 'tip.confirm':
      return { type: 'confirm' };
    case 'tip.decline': {
      const c = click as CardClick<'tip.decline'>;
      return {
        type: 'decline',
        form: {
          decline_reason: formField(c, 'decline_reason'),
          duplicate_of: formField(c, 'duplicate_of'),
          forwarded_to: formField(c, 'forwarded_to'),
        },
      };
    }
    case 'tip.startReward':
      return { type: 'startReward' };
    case 'tip.reward': {
      const c = click as CardClick<'tip.reward'>;
      return {
        type: 'reward',
        form: {
          amount: formField(c, 'amount'),
          decided_on: formField(c, 'decided_on'),
          paid: formField(c, 'paid'),
          paid_on: formField(c, 'paid_on'),
        },
      };
    }
    case 'tip.unfounded':
      return { type: 'unfounded', form: { note: formField(click as CardClick<'tip.unfounded'>, 'note') } };
  }
}
