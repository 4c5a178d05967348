import { cardElements } from '../../src/dev/feishu-sim/card-elements.js';
import type { FeishuSim } from '../../src/dev/feishu-sim/index.js';
import { eventually } from './service.js';

// biome-ignore lint/suspicious/noExplicitAny: cards are read as JSON, element by element, as a user would see them.
export type Json = any;

/** Every element of a card, depth first. */
export const elementsOf = cardElements;

export const titleOf = (card: Json): string => card?.header?.title?.content ?? '';

export const buttonTextsOf = (card: Json): string[] =>
  elementsOf(card)
    .filter((e) => e.tag === 'button')
    .map((e) => e.text?.content as string);

/** 上报 in one-to-one chat as `openId`: answers the form's message and its draft id. */
export async function openReportForm(sim: FeishuSim, openId: string) {
  const cards = () => sim.messages({ to: openId, msgType: 'interactive' });
  const before = cards().length;
  await sim.sendText(openId, '上报');
  // Cards of earlier steps may still be arriving: take the first new one that is the form.
  const form = await eventually(
    () =>
      cards()
        .slice(before)
        .find((m) => titleOf(m.content) === '上报安全隐患'),
    10_000,
    'the report form',
  );
  const submit = elementsOf(form.content).find((e) => e.tag === 'button' && e.form_action_type === 'submit');
  return { form, draft: submit?.behaviors?.[0]?.value?.draft as number };
}

/**
 * Opens the report form as `openId` and submits it with `formValue`, as the person would: answers the form's message,
 * its draft, the callback's answer and the hazard's code when it was registered.
 */
export async function reportThroughChat(sim: FeishuSim, openId: string, formValue: Record<string, string>) {
  const { form, draft } = await openReportForm(sim, openId);
  const delivery = await sim.clickCard(openId, form.messageId, {
    value: { action: 'report.submit', draft },
    formValue,
    name: 'submit',
  });
  const body = delivery.body as Json;
  const code = /YH-\d{4}-\d{6}/.exec(titleOf(body.card?.data))?.[0] ?? null;
  return { form, draft, delivery, body, code };
}
