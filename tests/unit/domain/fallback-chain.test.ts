import { describe, expect, it } from 'vitest';
import { FALLBACKS, RECIPIENTS, type Recipient, resolveRecipients } from '../../../src/domain/index.js';

type P = { code: string; reachable: boolean };
const lookup = (holders: Partial<Record<Recipient, P[]>>) => ({
  holdersOf: (role: Recipient) => holders[role] ?? [],
  isReachable: (p: P) => p.reachable,
  keyOf: (p: P) => p.code,
});
const on = (code: string): P => ({ code, reachable: true });
const off = (code: string): P => ({ code, reachable: false });

describe('the chain of responsibility’s fallbacks', () => {
  it('every role but the county leaders falls back, upwards, ending at the county leaders, never to itself', () => {
    for (const role of RECIPIENTS) {
      const chain = FALLBACKS[role];
      expect(chain.includes(role)).toBe(false);
      expect(new Set(chain).size).toBe(chain.length);
      if (role === 'county_leader') expect(chain).toEqual([]);
      else expect(chain.at(-1)).toBe('county_leader');
    }
  });

  it('the unit’s side reaches the township leader in charge before anyone above the township', () => {
    for (const role of ['responsible', 'enterprise_principal', 'enterprise_safety_officer'] as const) {
      const chain = FALLBACKS[role];
      expect(chain.indexOf('township_leader_in_charge')).toBeLessThan(chain.indexOf('township_main_leader'));
    }
  });

  it('tells reachable holders directly and skips the chain', () => {
    const got = resolveRecipients(
      ['township_leader_in_charge'],
      lookup({ township_leader_in_charge: [on('a'), off('b')] }),
    );
    expect(got.recipients).toEqual([{ person: on('a'), role: 'township_leader_in_charge' }]);
    expect(got.fallbacks).toEqual([]);
  });

  it('goes to the nearest role up the chain that has someone reachable, naming those it could not reach', () => {
    const got = resolveRecipients(
      ['responsible'],
      lookup({
        responsible: [off('guo')],
        enterprise_principal: [off('guo')],
        enterprise_safety_officer: [],
        township_leader_in_charge: [],
        township_main_leader: [on('wang')],
        county_leader: [on('li')],
      }),
    );
    expect(got.recipients).toEqual([{ person: on('wang'), role: 'township_main_leader', insteadOf: 'responsible' }]);
    expect(got.fallbacks).toEqual([
      { role: 'responsible', missing: [off('guo')], toldRole: 'township_main_leader', told: [on('wang')] },
    ]);
  });

  it('tells a person once though they are both a direct recipient and a fallback', () => {
    const got = resolveRecipients(
      ['county_leader', 'department_leader'],
      lookup({ county_leader: [on('li')], department_leader: [] }),
    );
    expect(got.recipients).toEqual([{ person: on('li'), role: 'county_leader' }]);
    expect(got.fallbacks.map((f) => [f.role, f.toldRole])).toEqual([['department_leader', 'county_leader']]);
  });

  it('answers nobody, with the fallback saying so, when nobody up the chain is reachable', () => {
    const got = resolveRecipients(['township_main_leader'], lookup({ county_leader: [off('li')] }));
    expect(got.recipients).toEqual([]);
    expect(got.fallbacks).toEqual([{ role: 'township_main_leader', missing: [], toldRole: null, told: [] }]);
  });
});
