/**
 * Card clicks, from value to handler: the value is parsed against the schema of card actions (feishu/card-actions.ts)
 * and handed to the one handler of its action. A value that does not parse — a card from an older release, a forged
 * click — changes nothing and says the card has expired.
 */
import { type CardActionName, parseCardActionValue } from '../feishu/card-actions.js';
import type { CardAction, CardActionResponse } from '../feishu/events.js';
import { type CardClick, EXPIRED_CARD } from './card-click.js';
import {
  acceptRectification,
  acceptResumption,
  acknowledgeHazard,
  approveExtension,
  commentOnHazard,
  declineSuspension,
  delistHazard,
  listHazard,
  openReportWithPhotos,
  orderSuspension,
  pickReportedUnit,
  refuseExtension,
  rejectRectification,
  rejectResumption,
  reportNewUnit,
  requestExtension,
  requestResumption,
  showHazardFromCard,
  submitRectification,
  submitReport,
} from './hazard-actions.js';
import type { HazardChatDeps } from './hazards.js';
import {
  inspectNewUnit,
  nextChecklistPage,
  pickInspectionChoice,
  startInspectionFromForm,
  submitInspection,
} from './inspections.js';
import { decideGovernancePlan, submitGovernancePlan } from './plan-actions.js';
import { nextListPage, type QueryDeps, sendListFromDigest } from './queries.js';
import { confirmStatisticsFromCard } from './statistics.js';
import { answerTipClick } from './tip-actions.js';

export type CardActionDeps = HazardChatDeps & QueryDeps;

type CardActionHandlers = {
  [A in CardActionName]: (deps: CardActionDeps, click: CardClick<A>) => Promise<CardActionResponse>;
};

/** Every card action the bot's cards carry, and who handles it. */
const CARD_ACTION_HANDLERS: CardActionHandlers = {
  'hazard.show': showHazardFromCard,
  'hazard.acknowledge': acknowledgeHazard,
  'hazard.submitRectification': submitRectification,
  'hazard.requestExtension': requestExtension,
  'hazard.accept': acceptRectification,
  'hazard.reject': rejectRectification,
  'hazard.approveExtension': approveExtension,
  'hazard.refuseExtension': refuseExtension,
  'hazard.comment': commentOnHazard,
  'hazard.list': listHazard,
  'hazard.delist': delistHazard,
  'hazard.orderSuspension': orderSuspension,
  'hazard.declineSuspension': declineSuspension,
  'hazard.requestResumption': requestResumption,
  'hazard.acceptResumption': acceptResumption,
  'hazard.rejectResumption': rejectResumption,
  'plan.submit': submitGovernancePlan,
  'plan.accept': decideGovernancePlan,
  'plan.return': decideGovernancePlan,
  'report.submit': submitReport,
  'report.open': openReportWithPhotos,
  'report.newUnit': reportNewUnit,
  'report.pick': pickReportedUnit,
  'inspection.start': startInspectionFromForm,
  'inspection.pickUnit': pickInspectionChoice,
  'inspection.newUnit': inspectNewUnit,
  'inspection.pickChecklist': pickInspectionChoice,
  'inspection.next': nextChecklistPage,
  'inspection.submit': submitInspection,
  ledger_page: nextListPage,
  list: sendListFromDigest,
  'statistics.confirm': confirmStatisticsFromCard,
  'tip.accept': answerTipClick,
  'tip.startDecline': answerTipClick,
  'tip.decline': answerTipClick,
  'tip.confirm': answerTipClick,
  'tip.startUnfounded': answerTipClick,
  'tip.unfounded': answerTipClick,
  'tip.startReward': answerTipClick,
  'tip.reward': answerTipClick,
};

/** Answers a click: the toast and, where the card changes, the new card. */
export async function answerCardAction(deps: CardActionDeps, action: CardAction): Promise<CardActionResponse> {
  const value = parseCardActionValue(action.value);
  if (!value) {
    deps.logger.info({ operator: action.operatorOpenId, value: action.value }, 'card action not in the schema');
    return { toast: { type: 'warning', content: EXPIRED_CARD } };
  }
  const answer = await handle<CardActionName>(deps, { ...action, value });
  // What the handler queued (notices, living cards) goes out now rather than at the sender's next poll.
  deps.notifyOutbox();
  return answer;
}

function handle<A extends CardActionName>(deps: CardActionDeps, click: CardClick<A>): Promise<CardActionResponse> {
  // TypeScript cannot tie the handler picked by `click.value.action` to that same click's type; the map's type does.
  const handler: CardActionHandlers[A] = CARD_ACTION_HANDLERS[click.value.action as A];
  return handler(deps, click);
}
