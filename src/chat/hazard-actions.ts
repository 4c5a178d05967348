/**
 * The buttons of the report and hazard cards, one handler per card action (routed by card-action-router.ts). Each
 * answers the click with a toast and, where the card changes, the new card in place of the clicked one.
 */

import { findPersonByOpenId } from '../directory/lookup.js';
import { type HazardAction, parseHazardCode } from '../domain/index.js';
import type { CardActionName, HazardFormField } from '../feishu/card-actions.js';
import type { CardActionResponse } from '../feishu/events.js';
import { performHazardAction } from '../hazards/actions.js';
import type { FormEcho } from '../hazards/cards/hazard-card.js';
import { renderHazardCard } from '../hazards/cards/living-card.js';
import { buildEnterprisePickCard } from '../hazards/cards/report-form.js';
import {
  completeReport,
  mayOpenReport,
  NOT_IN_DIRECTORY,
  openReportDraft,
  type ReportOutcome,
  submitReportForm,
} from '../hazards/report.js';
import { type CardClick, EXPIRED_CARD, formField } from './card-click.js';
import { findViewable, type HazardChatDeps, reportForm, sendLivingCard, services } from './hazards.js';

const rawCard = (data: object) => ({ type: 'raw' as const, data });

/**
 * 查看详情 on a reminder card, or a tap on a listed hazard: the living card, sent one-to-one to whoever clicked (in a
 * group, each clicker gets their own, with the buttons of their part — 提交整改 for the responsible person, 发表意见
 * for a leader). A refusal is only a toast.
 */
export async function showHazardFromCard(
  deps: HazardChatDeps,
  click: CardClick<'hazard.show'>,
): Promise<CardActionResponse> {
  const openId = click.operatorOpenId;
  const refusal = await deps.db.transaction(async (tx) => {
    const found = await findViewable(tx, openId, click.value.code);
    if (!found.ok) return found.reason;
    await sendLivingCard({ ...deps, db: tx }, found, { openId, to: { openId } });
    return null;
  });
  if (refusal) return { toast: { type: 'error', content: refusal } };
  return { toast: { type: 'success', content: '隐患详情已发给您，请在与我的单聊中查看' } };
}

// ---------------------------------------------------------------------------------------------------------------
// The report form and what follows it

/** 上报隐患 on the photo offer: checks the reporter as 上报 does, then shows the form for the draft holding the photos. */
export async function openReportWithPhotos(
  deps: HazardChatDeps,
  click: CardClick<'report.open'>,
): Promise<CardActionResponse> {
  const person = await findPersonByOpenId(deps.db, click.operatorOpenId);
  if (!person) return { toast: { type: 'error', content: NOT_IN_DIRECTORY } };
  const may = await mayOpenReport(deps.db, person);
  if (!may.allowed) return { toast: { type: 'error', content: may.reason } };
  const draft = await openReportDraft(deps.db, person.id, deps.clock.now());
  return { card: rawCard(await reportForm(deps, draft.id, {}, undefined, draft.photoCount)) };
}

const draftOf = <A extends 'report.submit' | 'report.pick' | 'report.newUnit'>(click: CardClick<A>) => ({
  openId: click.operatorOpenId,
  draftId: click.value.draft,
  messageId: click.messageId,
});

/** 提交 on the report form. */
export async function submitReport(deps: HazardChatDeps, click: CardClick<'report.submit'>) {
  return reportAnswer(deps, await submitReportForm(services(deps), { ...draftOf(click), formValue: click.formValue }));
}

/** One of several units whose names match what the reporter typed. */
export async function pickReportedUnit(deps: HazardChatDeps, click: CardClick<'report.pick'>) {
  const input = { ...draftOf(click), enterpriseCode: click.value.enterprise };
  return reportAnswer(deps, await completeReport(services(deps), input));
}

/** 登记新单位并上报: a unit the directory does not know yet, in the township chosen. */
export async function reportNewUnit(deps: HazardChatDeps, click: CardClick<'report.newUnit'>) {
  const input = { ...draftOf(click), townshipCode: formField(click, 'township') };
  return reportAnswer(deps, await completeReport(services(deps), input));
}

async function reportAnswer(deps: HazardChatDeps, outcome: ReportOutcome): Promise<CardActionResponse> {
  switch (outcome.kind) {
    case 'not_in_directory':
    case 'forbidden':
      return { toast: { type: 'error', content: outcome.message } };
    case 'invalid':
      return {
        toast: { type: 'error', content: '有内容需要修改，请查看标红的提示' },
        card: rawCard(await reportForm(deps, outcome.draftId, outcome.values, outcome.errors, 0)),
      };
    case 'pick':
      return {
        toast: { type: 'info', content: outcome.candidates.length ? '请选择被检查单位' : '名录中没有该单位' },
        card: rawCard(buildEnterprisePickCard({ ...outcome, draft: outcome.draftId })),
      };
    case 'already_reported':
      return {
        toast: { type: 'info', content: `已处理：该隐患已登记为 ${outcome.code}` },
        card: rawCard(renderHazardCard(outcome.view, outcome.audience, 'report')),
      };
    case 'reported': {
      // Whom the report could not reach is said at once, to the person who acted (not "已通知整改责任人").
      const notes = outcome.fallbackNotes;
      return {
        toast:
          notes.length > 0
            ? { type: 'warning', content: `已登记 ${outcome.code}；${notes.join('；')}` }
            : { type: 'success', content: `已登记 ${outcome.code}，已通知整改责任人和属地、主管部门` },
        card: rawCard(renderHazardCard(outcome.view, outcome.audience, 'report')),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Decisions on a hazard

type HazardDecision = Exclude<Extract<CardActionName, `hazard.${string}`>, 'hazard.show'>;

/**
 * A decision form whose refused submit comes back on the card with what was typed and the problem beside its field:
 * which form, what it held, and the form field of each field the domain names.
 */
interface EchoedForm {
  form: FormEcho['form'];
  values: FormEcho['values'];
  fields: Readonly<Record<string, HazardFormField>>;
}

/**
 * Applies `action` to the hazard the clicked card shows, and answers with that card as it now stands. With `echo`,
 * bad input in that form comes back on the card, everything typed kept, the problem beside its field.
 */
async function decide<A extends HazardDecision>(
  deps: HazardChatDeps,
  click: CardClick<A>,
  action: HazardAction,
  echo?: EchoedForm,
): Promise<CardActionResponse> {
  const code = parseHazardCode(click.value.code)?.code;
  if (!code) return { toast: { type: 'warning', content: EXPIRED_CARD } };
  const outcome = await performHazardAction(services(deps), {
    openId: click.operatorOpenId,
    code,
    action,
    messageId: click.messageId,
  });
  const cardKind = outcome.clickedKind ?? 'query';
  if (outcome.ok) {
    return {
      toast: { type: 'success', content: outcome.message },
      card: rawCard(renderHazardCard(outcome.view, outcome.audience, cardKind)),
    };
  }
  if (outcome.code === 'already_done' || outcome.code === 'wrong_state') {
    const alreadyDone = outcome.code === 'already_done';
    return {
      toast: {
        type: alreadyDone ? 'info' : 'warning',
        content: alreadyDone ? `已处理：${outcome.message}` : outcome.message,
      },
      ...(outcome.view && outcome.audience
        ? { card: rawCard(renderHazardCard(outcome.view, outcome.audience, cardKind)) }
        : {}),
    };
  }
  const field = outcome.field ? echo?.fields[outcome.field] : undefined;
  if (outcome.code === 'invalid_input' && echo && field && outcome.view && outcome.audience) {
    const error = { field, message: outcome.message };
    // 同意延期 on a date that has passed: not a mistake, a question — the card now asks for the date.
    const asking = action.type === 'approveExtension' && !action.deadline;
    return {
      toast: { type: asking ? 'warning' : 'error', content: outcome.message },
      card: rawCard(
        renderHazardCard(outcome.view, outcome.audience, cardKind, { form: echo.form, values: echo.values, error }),
      ),
    };
  }
  return { toast: { type: 'error', content: outcome.message } };
}

/** A date picker's value ("2026-05-29 +0800") as a local date; '' when nothing was picked. */
const pickedDate = (value: string) => value.trim().slice(0, 10);

/** 确认接收 */
export const acknowledgeHazard = (deps: HazardChatDeps, click: CardClick<'hazard.acknowledge'>) =>
  decide(deps, click, { type: 'acknowledge' });

/** 提交整改 */
export const submitRectification = (deps: HazardChatDeps, click: CardClick<'hazard.submitRectification'>) =>
  decide(deps, click, { type: 'submitRectification', description: formField(click, 'rectification') });

/** 申请延期 */
export const requestExtension = (deps: HazardChatDeps, click: CardClick<'hazard.requestExtension'>) =>
  decide(deps, click, {
    type: 'requestExtension',
    newDeadline: formField(click, 'new_deadline').slice(0, 10),
    reason: formField(click, 'extension_reason'),
  });

/** The extension decision form as submitted (`read` gives a field), to send back when the decision is refused. */
const extensionDecisionForm = (read: (name: 'decision_reason' | 'approved_deadline') => string): EchoedForm => ({
  form: 'extension_decision',
  values: { decision_reason: read('decision_reason'), approved_deadline: pickedDate(read('approved_deadline')) },
  fields: { reason: 'decision_reason', deadline: 'approved_deadline' },
});

/** 同意延期: the date asked, or — when it has passed — the date the approver picked on the card. */
export const approveExtension = (deps: HazardChatDeps, click: CardClick<'hazard.approveExtension'>) => {
  const form = extensionDecisionForm((name) => formField(click, name));
  const deadline = form.values.approved_deadline;
  return decide(deps, click, { type: 'approveExtension', ...(deadline ? { deadline } : {}) }, form);
};

/** 不同意延期 */
export const refuseExtension = (deps: HazardChatDeps, click: CardClick<'hazard.refuseExtension'>) => {
  const form = extensionDecisionForm((name) => formField(click, name));
  return decide(deps, click, { type: 'refuseExtension', reason: form.values.decision_reason ?? '' }, form);
};

/** 验收通过 */
export const acceptRectification = (deps: HazardChatDeps, click: CardClick<'hazard.accept'>) =>
  decide(deps, click, { type: 'accept' });

/** 驳回, with the new deadline picked on the card (none picked: the days the unit had left, from today). */
export const rejectRectification = (deps: HazardChatDeps, click: CardClick<'hazard.reject'>) => {
  const reason = formField(click, 'reject_reason');
  const deadline = pickedDate(formField(click, 'deadline'));
  return decide(
    deps,
    click,
    { type: 'reject', reason, ...(deadline ? { deadline } : {}) },
    {
      form: 'reject',
      values: { reject_reason: reason, deadline },
      fields: { reason: 'reject_reason', deadline: 'deadline' },
    },
  );
};

/** 发表意见 */
export const commentOnHazard = (deps: HazardChatDeps, click: CardClick<'hazard.comment'>) =>
  decide(deps, click, { type: 'comment', text: formField(click, 'comment') });

// ---------------------------------------------------------------------------------------------------------------
// 治: listing, suspension and resumption (each refused with a toast saying who may, when the clicker may not)

/** 挂牌督办 */
export const listHazard = (deps: HazardChatDeps, click: CardClick<'hazard.list'>) =>
  decide(deps, click, { type: 'list' });

/** 摘牌 (销号) */
export const delistHazard = (deps: HazardChatDeps, click: CardClick<'hazard.delist'>) =>
  decide(deps, click, { type: 'delist' });

const suspensionForm = (reason: string): EchoedForm => ({
  form: 'suspension_decision',
  values: { suspension_reason: reason },
  fields: { reason: 'suspension_reason' },
});

/** 责令停产停业 (confirming an inspector's proposal) */
export const orderSuspension = (deps: HazardChatDeps, click: CardClick<'hazard.orderSuspension'>) => {
  const reason = formField(click, 'suspension_reason');
  return decide(deps, click, { type: 'orderSuspension', reason }, suspensionForm(reason));
};

/** 不同意停产 */
export const declineSuspension = (deps: HazardChatDeps, click: CardClick<'hazard.declineSuspension'>) => {
  const reason = formField(click, 'suspension_reason');
  return decide(deps, click, { type: 'declineSuspension', reason }, suspensionForm(reason));
};

/** 申请复产 */
export const requestResumption = (deps: HazardChatDeps, click: CardClick<'hazard.requestResumption'>) =>
  decide(deps, click, { type: 'requestResumption' });

const resumptionForm = (reason: string, deadline: string): EchoedForm => ({
  form: 'resumption_decision',
  values: { resumption_reason: reason, deadline },
  fields: { reason: 'resumption_reason', note: 'resumption_reason', deadline: 'deadline' },
});

/** 复产验收通过 */
export const acceptResumption = (deps: HazardChatDeps, click: CardClick<'hazard.acceptResumption'>) => {
  const note = formField(click, 'resumption_reason');
  const form = resumptionForm(note, pickedDate(formField(click, 'deadline')));
  return decide(deps, click, { type: 'acceptResumption', note }, form);
};

/** 复产验收不通过: back to rectifying, with the deadline picked (or the days the unit had left). */
export const rejectResumption = (deps: HazardChatDeps, click: CardClick<'hazard.rejectResumption'>) => {
  const reason = formField(click, 'resumption_reason');
  const deadline = pickedDate(formField(click, 'deadline'));
  return decide(
    deps,
    click,
    { type: 'rejectResumption', reason, ...(deadline ? { deadline } : {}) },
    resumptionForm(reason, deadline),
  );
};
