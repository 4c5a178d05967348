import { describe, expect, it } from 'vitest';
import { createCalendar } from '../../src/domain/calendar.js';
import { DEFAULT_POLICY_JSON, parsePolicy } from '../../src/domain/escalation-policy.js';
import { parseTipReward } from '../../src/domain/tip.js';
import { dueTipSteps, tipAnswerDue, tipStepInstant } from '../../src/domain/tip-clock.js';

const calendar = createCalendar();
const at = (text: string) => new Date(`${text.replace(' ', 'T')}:00+08:00`);

describe('the tips’ answer clock', () => {
  const policy = parsePolicy(DEFAULT_POLICY_JSON);
  if (!policy.ok) throw new Error('default policy');
  const tips = policy.policy.tips;

  it('is due 10 working days after the tip, over the National Day holiday too', () => {
    expect(tipAnswerDue(at('2026-12-07 10:00'), calendar, 10)).toBe('2026-12-21');
    // 2026-09-30 (Wed): weekdays alone would make it 10-14; the National Day holiday (10-01…) pushes it later.
    expect(tipAnswerDue(at('2026-09-30 10:00'), calendar, 10) > '2026-10-14').toBe(true);
  });

  it('places each default step: 3 working days before at 09:00, the due day at 09:00, 09:00 the working day after', () => {
    const [before, today, overdue] = tips.steps;
    expect(tipStepInstant(before!, '2026-12-21', calendar)).toEqual(at('2026-12-16 09:00'));
    expect(tipStepInstant(today!, '2026-12-21', calendar)).toEqual(at('2026-12-21 09:00'));
    // Due Friday: past it is Monday 09:00.
    expect(tipStepInstant(overdue!, '2026-12-18', calendar)).toEqual(at('2026-12-21 09:00'));
  });

  it('lists the due steps not yet sent', () => {
    const receivedAt = at('2026-12-07 10:00');
    const ids = (sent: string[], when: string) =>
      dueTipSteps({ receivedAt, sent: new Set(sent) }, tips, at(when), calendar).map((s) => s.step.id);
    expect(ids([], '2026-12-16 08:59')).toEqual([]);
    expect(ids([], '2026-12-21 09:00')).toEqual(['tip-answer-due-in-3d', 'tip-answer-due-today']);
    expect(ids(['tip-answer-due-in-3d'], '2026-12-21 09:00')).toEqual(['tip-answer-due-today']);
  });

  it('checks the policy file’s tips section, every problem with its path', () => {
    const bad = parsePolicy({
      ...DEFAULT_POLICY_JSON,
      tips: {
        answerDays: 0,
        steps: [{ id: 'x', who: ['responsible'], when: { before: 'deadline', days: 1 }, channel: 'mention' }],
      },
    });
    expect(bad.ok).toBe(false);
    const paths = bad.ok ? [] : bad.errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'tips.answerDays',
        'tips.steps[0].who[0]',
        'tips.steps[0].when',
        'tips.steps[0].channel',
      ]),
    );
  });
});

describe('the reward form', () => {
  const today = '2026-12-10';
  it('takes an amount in yuan with two decimals, a decision date, paid and its date', () => {
    expect(parseTipReward({ amount: '1,200.5 元', decided_on: '2026-12-09', paid: 'no' }, today)).toEqual({
      ok: true,
      reward: { amount: '1200.50', decidedOn: '2026-12-09', paid: false, paidOn: null },
    });
    expect(
      parseTipReward({ amount: '500', decided_on: '2026-12-09', paid: 'yes', paid_on: '2026-12-10' }, today),
    ).toMatchObject({ ok: true, reward: { paid: true, paidOn: '2026-12-10' } });
  });
  it.each([
    [{ amount: '0', decided_on: '2026-12-09', paid: 'no' }, 'amount'],
    [{ amount: '1.234', decided_on: '2026-12-09', paid: 'no' }, 'amount'],
    [{ amount: '500', decided_on: '2026-02-30', paid: 'no' }, 'decided_on'],
    [{ amount: '500', decided_on: '2026-12-11', paid: 'no' }, 'decided_on'],
    [{ amount: '500', decided_on: '2026-12-09' }, 'paid'],
    [{ amount: '500', decided_on: '2026-12-09', paid: 'yes', paid_on: '2026-12-08' }, 'paid_on'],
    [{ amount: '500', decided_on: '2026-12-09', paid: 'no', paid_on: '2026-12-09' }, 'paid_on'],
  ])('refuses %j at %s', (form, field) => {
    expect(parseTipReward(form, today)).toMatchObject({ ok: false, field });
  });
});
