import { validateCard } from './card-validator.js';
import { replaceContent } from './openapi.js';
import type { SimState } from './state.js';
import type { Delivery, SimMessage } from './types.js';

/** A callback answer with a card replaces the message for everyone, as Feishu does, if the card is valid. */
export function applyCallbackCard(state: SimState, message: SimMessage, delivery: Delivery): void {
  const body = delivery.body;
  if (!body || typeof body !== 'object' || body.card === undefined) return;
  const card = body.card;
  if (!card || typeof card !== 'object' || (card.type !== 'raw' && card.type !== 'template')) {
    delivery.cardUpdate = { applied: false, code: 200672, msg: 'card must be {type:"raw"|"template", data}' };
    return;
  }
  if (card.type === 'template') {
    replaceContent(state, message, card, JSON.stringify(card));
    delivery.cardUpdate = { applied: true };
    return;
  }
  const data = card.data;
  const raw = JSON.stringify(data ?? null);
  let problem = validateCard(data, { knownImageKey: (k) => state.images.has(k) });
  if (!problem && Buffer.byteLength(raw) > 30 * 1024) problem = 'card content is over 30 KB';
  if (problem) {
    const is20 = typeof data === 'object' && data !== null && (data as { schema?: unknown }).schema === '2.0';
    delivery.cardUpdate = {
      applied: false,
      code: is20 ? 200673 : 200830,
      msg: is20 ? problem : `a JSON 2.0 card must be answered with a JSON 2.0 card: ${problem}`,
    };
    return;
  }
  replaceContent(state, message, data, raw);
  delivery.cardUpdate = { applied: true };
}
