/** A card click as its handler sees it: the value parsed against the schema of card actions. */
import type { CardActionName, CardActionValueOf, FormFieldOf } from '../feishu/card-actions.js';
import type { CardAction } from '../feishu/events.js';

/** A click on a button whose value is the one of action `A`. */
export interface CardClick<A extends CardActionName> extends Omit<CardAction, 'value'> {
  value: CardActionValueOf<A>;
}

/** A field of the form the clicked button submitted: text, or the joined choices of a multi-select; '' if absent. */
export function formField<A extends CardActionName>(click: CardClick<A>, name: FormFieldOf<A>): string {
  const raw = click.formValue?.[name];
  return Array.isArray(raw) ? raw.join(',') : (raw ?? '');
}

/** What a click on a card that is no longer valid (or never was ours) answers. */
export const EXPIRED_CARD = '该卡片已过期或不支持此操作，请发送「帮助」查看可用功能';
