/**
 * Opening a hazard from a card: the callback value that sends the clicker the hazard's living card, with the buttons
 * of their part (chat/hazards.ts), and a list item built around it that the reader taps anywhere.
 */
import { cardValue } from '../../feishu/card-actions.js';

export const showHazardValue = (code: string) => cardValue('hazard.show', { code });

/** A list item that is one tap target (JSON 2.0 interactive container): no "查询 编号" to type on a phone. */
export function tappableHazard(code: string, content: string): object {
  return {
    tag: 'interactive_container',
    width: 'fill',
    padding: '4px 8px 4px 8px',
    behaviors: [{ type: 'callback', value: showHazardValue(code) }],
    elements: [{ tag: 'markdown', content }],
  };
}
