/**
 * The card that asks which unit was meant when a typed name matches several units (or none): one button per
 * candidate, and a form to register the typed name as a new unverified unit in a township. Reporting and inspecting
 * both ask it; each gives the values its buttons carry and its own words.
 */
const plain = (content: string) => ({ tag: 'plain_text', content });

export interface UnitPickCardInput {
  typed: string;
  candidates: readonly { code: string; name: string; regionName: string }[];
  /** Townships where the asker may register a new unit (none: no form). */
  townships: readonly { code: string; name: string }[];
  /** Words before 单位 that say which units were searched, e.g. `您可检查的` (empty: all). */
  among: string;
  /** The callback value of the candidate with this code. */
  pickValue: (code: string) => object;
  /** The new-unit form: its township field's name, its button's text and value, what the intro adds after it. */
  newUnit: { townshipField: string; buttonText: string; value: object; introSuffix: string };
}

export function buildUnitPickCard(input: UnitPickCardInput): object {
  const elements: object[] = [];
  if (input.candidates.length > 0) {
    elements.push({
      tag: 'markdown',
      content: `名录中有 ${input.candidates.length} 个${input.among}单位与“${input.typed}”相符，请选择：`,
    });
    for (const c of input.candidates) {
      elements.push({
        tag: 'button',
        text: plain(`${c.name}（${c.regionName}）`),
        type: 'default',
        width: 'fill',
        behaviors: [{ type: 'callback', value: input.pickValue(c.code) }],
      });
    }
  } else {
    elements.push({ tag: 'markdown', content: `名录中没有${input.among}“${input.typed}”。` });
  }
  if (input.townships.length > 0) {
    elements.push({
      tag: 'form',
      name: 'new_unit',
      elements: [
        {
          tag: 'markdown',
          content: `都不是？登记为新单位“${input.typed}”（待管理员核实）${input.newUnit.introSuffix}：`,
        },
        {
          tag: 'select_static',
          name: input.newUnit.townshipField,
          placeholder: plain('所属乡镇'),
          options: input.townships.map((t) => ({ text: plain(t.name), value: t.code })),
          ...(input.townships.length === 1 ? { initial_option: input.townships[0]!.code } : {}),
          required: true,
        },
        {
          tag: 'button',
          name: 'register_unit',
          text: plain(input.newUnit.buttonText),
          type: 'primary',
          form_action_type: 'submit',
          behaviors: [{ type: 'callback', value: input.newUnit.value }],
        },
      ],
    });
  }
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: '请选择被检查单位' } },
    header: { title: plain('请选择被检查单位'), template: 'wathet' },
    body: { elements },
  };
}
