/**
 * 检查 in chat: the inspection form (always one-to-one, like 上报 — 四不两直), and the buttons of the cards that
 * follow it (routed by card-action-router.ts): 开始检查, a unit or checklist picked, a new unit, 下一页 and 提交检查 on
 * the checklist card. Each answers the click with a toast and the next card in place of the clicked one.
 */
import { findPersonByOpenId } from '../directory/lookup.js';
import type { CardActionResponse } from '../feishu/events.js';
import { buildNoticeCard } from '../hazards/cards/report-form.js';
import { buildChecklistCard } from '../inspections/cards/checklist-card.js';
import {
  buildChecklistPickCard,
  buildInspectionFormCard,
  buildInspectionUnitPickCard,
} from '../inspections/cards/inspection-form.js';
import { buildInspectionSummaryCard } from '../inspections/cards/summary-card.js';
import {
  type InspectionChoices,
  type InspectionDeps,
  inspectionFormFor,
  NOT_IN_DIRECTORY,
} from '../inspections/form.js';
import { type StartOutcome, startFromForm, startFromPick, startWithNewUnit } from '../inspections/start.js';
import { answerChecklistPage, type PageOutcome } from '../inspections/submit.js';
import { type ChatTarget, cardAnswer, enqueueAnswer, textAnswer } from './answer.js';
import { type CardClick, formField } from './card-click.js';

const rawCard = (data: object) => ({ type: 'raw' as const, data });

/**
 * 检查: the form goes to the inspector privately. From a group (`inGroup`), it is sent one-to-one and the group only
 * hears that it was sent privately.
 */
export async function startInspection(
  deps: InspectionDeps,
  input: { openId: string; replyTo?: string; inGroup: boolean },
): Promise<void> {
  const { db } = deps;
  const privately: ChatTarget = input.inGroup || !input.replyTo ? { openId: input.openId } : { replyTo: input.replyTo };
  const person = await findPersonByOpenId(db, input.openId);
  const setup = person ? await inspectionFormFor(deps, person) : { ok: false as const, message: NOT_IN_DIRECTORY };
  if (!setup.ok) {
    await enqueueAnswer(
      db,
      privately,
      cardAnswer(buildNoticeCard('暂不能检查', [setup.message]), 'inspection:refused'),
    );
    return;
  }
  await enqueueAnswer(db, privately, cardAnswer(buildInspectionFormCard(setup.form), 'inspection:form'));
  if (input.inGroup && input.replyTo) {
    await enqueueAnswer(
      db,
      { replyTo: input.replyTo },
      textAnswer('已通过单聊向您发送检查表单，请在与我的单聊中填写。', 'inspection:private'),
    );
  }
}

/** The choices a pick card's button carries (its value without the action and the unit). */
function choicesOf(value: {
  kind: InspectionChoices['kind'];
  checklist?: string;
  companions: string[];
  date: string;
}): InspectionChoices {
  return {
    kind: value.kind,
    ...(value.checklist ? { checklist: value.checklist } : {}),
    companions: value.companions,
    date: value.date,
  };
}

/** 开始检查 on the inspection form. */
export async function startInspectionFromForm(deps: InspectionDeps, click: CardClick<'inspection.start'>) {
  const outcome = await startFromForm(deps, {
    openId: click.operatorOpenId,
    formValue: click.formValue,
    messageId: click.messageId,
  });
  return startAnswer(outcome);
}

/**
 * A choice on a pick card: one of several units whose names match what was typed, or one of the unit's sectors'
 * checklists. Either button carries the form's choices with the unit (and the checklist), so both start alike.
 */
export async function pickInspectionChoice(
  deps: InspectionDeps,
  click: CardClick<'inspection.pickUnit' | 'inspection.pickChecklist'>,
) {
  const outcome = await startFromPick(deps, {
    openId: click.operatorOpenId,
    enterpriseCode: click.value.enterprise,
    choices: choicesOf(click.value),
    messageId: click.messageId,
  });
  return startAnswer(outcome);
}

/** 登记新单位并开始检查. */
export async function inspectNewUnit(deps: InspectionDeps, click: CardClick<'inspection.newUnit'>) {
  const outcome = await startWithNewUnit(deps, {
    openId: click.operatorOpenId,
    name: click.value.name,
    townshipCode: formField(click, 'township'),
    choices: choicesOf(click.value),
    messageId: click.messageId,
  });
  return startAnswer(outcome);
}

function startAnswer(outcome: StartOutcome): CardActionResponse {
  switch (outcome.kind) {
    case 'refused':
      return { toast: { type: 'error', content: outcome.message } };
    case 'invalid':
      return {
        toast: { type: 'error', content: '有内容需要修改，请查看标红的提示' },
        card: rawCard(buildInspectionFormCard(outcome.form)),
      };
    case 'pickUnit':
      return {
        toast: { type: 'info', content: outcome.pick.candidates.length ? '请选择被检查单位' : '名录中没有该单位' },
        card: rawCard(buildInspectionUnitPickCard(outcome.pick)),
      };
    case 'pickChecklist':
      return { toast: { type: 'info', content: '请选择检查表' }, card: rawCard(buildChecklistPickCard(outcome)) };
    case 'started':
      return {
        toast: {
          type: 'success',
          content: outcome.reused ? '继续未完成的检查：已填的结果都在' : '检查已开始，请逐项填写检查结果',
        },
        card: rawCard(buildChecklistCard(outcome.card)),
      };
  }
}

/** 下一页 on the checklist card. */
export const nextChecklistPage = (deps: InspectionDeps, click: CardClick<'inspection.next'>) =>
  checklistAnswer(deps, click, false);

/** 提交检查 on the checklist card. */
export const submitInspection = (deps: InspectionDeps, click: CardClick<'inspection.submit'>) =>
  checklistAnswer(deps, click, true);

async function checklistAnswer(
  deps: InspectionDeps,
  click: CardClick<'inspection.next' | 'inspection.submit'>,
  final: boolean,
): Promise<CardActionResponse> {
  const outcome = await answerChecklistPage(deps, {
    openId: click.operatorOpenId,
    inspectionId: click.value.inspection,
    page: click.value.page,
    final,
    formValue: click.formValue,
  });
  return pageAnswer(outcome);
}

function pageAnswer(outcome: PageOutcome): CardActionResponse {
  switch (outcome.kind) {
    case 'refused':
      return { toast: { type: 'warning', content: outcome.message } };
    case 'page': {
      const toast =
        outcome.missing > 0
          ? {
              type: 'warning' as const,
              content: `还有 ${outcome.missing} 项未选择检查结果（已选的已保存），请查看标红的条目`,
            }
          : outcome.findingsError
            ? { type: 'error' as const, content: outcome.card.findingsError ?? '请修改检查情况' }
            : { type: 'info' as const, content: `已保存，请继续填写第 ${outcome.card.page + 1} 页` };
      return { toast, card: rawCard(buildChecklistCard(outcome.card)) };
    }
    case 'already_submitted':
      return {
        toast: { type: 'info', content: `该检查已提交（${outcome.summary.code}）` },
        card: rawCard(buildInspectionSummaryCard(outcome.summary)),
      };
    case 'submitted':
      return {
        toast: { type: 'success', content: `检查已提交 ${outcome.summary.code}` },
        card: rawCard(buildInspectionSummaryCard(outcome.summary)),
      };
  }
}
