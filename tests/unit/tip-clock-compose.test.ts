import { describe, expect, it } from 'vitest';
import { composeTipClockMessages, type PlannedTipStep } from '../../src/reminders/sweep/tips.js';

function step(
  code: string,
  key: string,
  openIds: string[],
  extra: Partial<PlannedTipStep['card']> = {},
): PlannedTipStep {
  const overdue = extra.overdue ?? false;
  return {
    tipId: Number(code.slice(-1)),
    card: {
      code,
      place: `${code} 的地点`,
      regionName: '城关镇',
      unitName: null,
      statusLabel: '已收到，待受理',
      receivedOn: '2026-12-07',
      waitedDays: 7,
      due: '2026-12-21',
      answerDays: 10,
      stepLabel: key,
      overdue,
      ask: '请答复',
      ...extra,
    },
    notified: ['王某（乡镇分管领导）'],
    openIds,
    urgent: overdue,
    fallbacks: null,
    swept: {
      hazard: code,
      step: key,
      key,
      label: key,
      channel: overdue ? 'urgent' : 'card',
      to: openIds.map((openId) => ({ name: openId, openId })),
      chatId: null,
      urgent: overdue,
      effects: [],
      fallbacks: [],
      delivered: openIds.length > 0,
    },
  };
}

const text = (content: object) => JSON.stringify(content);
let n = 0;
const ids = () => `m${++n}`;

describe('the tip clock’s messages (one card per person per sweep)', () => {
  it('sends one step as its own card, named by tip and step', () => {
    const [message, ...rest] = composeTipClockMessages([step('JB-2026-000001', 'due-in-3d', ['ou_a'])], 10, ids);
    expect(rest).toEqual([]);
    expect(message!.openId).toBe('ou_a');
    expect(message!.topic).toBe('tip-reminder:JB-2026-000001:due-in-3d');
    expect(text(message!.content)).toContain('举报答复提醒｜JB-2026-000001');
    expect(text(message!.content)).toContain('王某（乡镇分管领导）');
    expect(message!.urgent).toBe(false);
  });

  it('lists several tips on one card for a person, overdue first, buzzed when any step is urgent', () => {
    const messages = composeTipClockMessages(
      [
        step('JB-2026-000001', 'due-in-3d', ['ou_lead', 'ou_a'], { due: '2026-12-21' }),
        step('JB-2026-000002', 'overdue', ['ou_lead'], { due: '2026-12-18', overdue: true }),
        step('JB-2026-000003', 'due-today', ['ou_lead'], { due: '2026-12-19' }),
      ],
      10,
      ids,
    );
    expect(messages.map((m) => m.openId).sort()).toEqual(['ou_a', 'ou_lead']);
    const lead = messages.find((m) => m.openId === 'ou_lead')!;
    expect(lead.steps).toHaveLength(3);
    expect(lead.urgent).toBe(true);
    expect(lead.topic).toBe('tip-reminders');
    const body = text(lead.content);
    expect(body).toContain('举报答复提醒｜3 件举报待答复');
    expect(body).toContain('其中 1 件已超过答复期限');
    const order = ['JB-2026-000002', 'JB-2026-000003', 'JB-2026-000001'].map((c) => body.indexOf(c));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order.every((i) => i > 0)).toBe(true);
    // The other person has only one tip due: its own card.
    expect(text(messages.find((m) => m.openId === 'ou_a')!.content)).toContain('举报答复提醒｜JB-2026-000001');
  });

  it('makes several steps of one tip for one person a single card of its most pressing step', () => {
    const messages = composeTipClockMessages(
      [
        step('JB-2026-000004', 'due-today', ['ou_a'], { due: '2026-12-21' }),
        step('JB-2026-000004', 'overdue', ['ou_a'], { due: '2026-12-21', overdue: true }),
      ],
      10,
      ids,
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]!.steps).toHaveLength(2);
    expect(messages[0]!.topic).toBe('tip-reminder:JB-2026-000004:overdue');
    expect(text(messages[0]!.content)).toContain('已超过答复期限');
  });

  it('sends nothing for a step nobody in Feishu could be told of', () => {
    expect(composeTipClockMessages([step('JB-2026-000005', 'due-in-3d', [])], 10, ids)).toEqual([]);
  });
});
