/**
 * The answer clock's reminder card (JSON 2.0): the tip's code, where it is, how long it has waited and what to do.
 * Never the tipster's name or phone, and not what they wrote (it may name them): the card goes to leaders and the
 * county office, who open the tip (GET /api/tips/:code, the handlers' card) if they need more.
 */

export interface TipClockCardInput {
  code: string;
  place: string;
  regionName: string | null;
  unitName: string | null;
  statusLabel: string;
  receivedOn: string;
  /** Working days since the tip came. */
  waitedDays: number;
  /** The local date the tipster must be answered by. */
  due: string;
  answerDays: number;
  stepLabel: string;
  /** Overdue (past the due day) or not. */
  overdue: boolean;
  /** What the reader is asked to do. */
  ask: string;
  /** Who is told (`李四（乡镇分管领导）`). */
  notified: string[];
  fallbackNotes?: string[];
}

const plain = (content: string) => ({ tag: 'plain_text', content });
const md = (text: string) => text.replace(/([*_~`<>[\]\\#])/g, '\\$1');
const clip = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max)}…` : text);
const line = (label: string, value: string) => ({ tag: 'markdown', content: `**${label}**：${md(clip(value))}` });

export function buildTipClockCard(input: TipClockCardInput): object {
  const title = `举报答复提醒｜${input.code}`;
  const elements: object[] = [
    { tag: 'markdown', content: `**${md(input.ask)}**` },
    line('举报编号', input.code),
    line('地点', input.place),
  ];
  if (input.unitName) elements.push(line('涉及单位', input.unitName));
  if (input.regionName) elements.push(line('所属乡镇', input.regionName));
  elements.push(
    line('当前状态', input.statusLabel),
    line('收到日期', input.receivedOn),
    line('已等待', `${input.waitedDays} 个工作日`),
    line('答复期限', `${input.due}（收到后 ${input.answerDays} 个工作日内答复举报人）`),
    line('提醒事项', input.stepLabel),
  );
  if (input.notified.length) elements.push(line('本次通知', input.notified.join('、')));
  for (const note of input.fallbackNotes ?? []) elements.push({ tag: 'markdown', content: `⚠ ${md(note)}` });
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: `${title} ${input.stepLabel}` } },
    header: {
      title: plain(title),
      subtitle: plain(input.overdue ? '已超过答复期限' : `请于 ${input.due} 前答复举报人`),
      template: input.overdue ? 'red' : 'orange',
    },
    body: { elements },
  };
}

/** One tip's line on the list card: its most pressing step (several of one tip due at once make one line). */
export type TipClockListItem = Pick<
  TipClockCardInput,
  'code' | 'place' | 'unitName' | 'statusLabel' | 'waitedDays' | 'due' | 'overdue' | 'stepLabel'
>;

/**
 * Several tips' steps due for one person in one sweep (a backlog after a holiday, or a leader over many townships):
 * one card listing them, overdue first, instead of one card each.
 */
export function buildTipClockListCard(input: { items: TipClockListItem[]; answerDays: number }): object {
  const overdue = input.items.filter((i) => i.overdue).length;
  const title = `举报答复提醒｜${input.items.length} 件举报待答复`;
  const elements: object[] = [
    {
      tag: 'markdown',
      content: `**以下举报尚未答复举报人${overdue ? `，其中 ${overdue} 件已超过答复期限` : ''}，请督促处理人员核查并答复（收到后 ${input.answerDays} 个工作日内）。**`,
    },
  ];
  for (const item of input.items) {
    const where = item.unitName ? `${item.unitName}，${item.place}` : item.place;
    const due = item.overdue ? `期限 ${item.due}（已超期）` : `期限 ${item.due}`;
    elements.push({
      tag: 'markdown',
      content: `**${md(item.code)}**　${md(clip(where, 60))}\n${md(item.statusLabel)}，已等待 ${item.waitedDays} 个工作日，${due}；${md(item.stepLabel)}`,
    });
  }
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: title } },
    header: {
      title: plain(title),
      subtitle: plain(overdue ? `${overdue} 件已超过答复期限` : '请在答复期限前答复举报人'),
      template: overdue ? 'red' : 'orange',
    },
    body: { elements },
  };
}
