import { describe, expect, it } from 'vitest';
import { personActor, type Role, SYSTEM_ACTOR } from '../../src/domain/permissions.js';
import {
  canHandleTip,
  formatTipCode,
  parseTipCode,
  type TipPlace,
  type TipState,
  tipsterLabel,
  transitionTip,
} from '../../src/domain/tip.js';
import { checkTipFields, checkTipPhoto, imageTypeOf, TipInputError } from '../../src/tips/input.js';
import { escapeHtml, tipFormPage, tipStatusPage } from '../../src/tips/pages.js';

const received: TipState = { status: 'received', hazardCode: null };
const accepted: TipState = { status: 'accepted', hazardCode: null };

describe('the tip’s states (domain/tip.ts)', () => {
  it('numbers tips JB-<year>-<6 digits> and reads them as typed', () => {
    expect(formatTipCode(2026, 7)).toBe('JB-2026-000007');
    expect(formatTipCode(2026, 1234567)).toBe('JB-2026-1234567');
    expect(parseTipCode(' jb-2026-000007 ')).toBe('JB-2026-000007');
    expect(parseTipCode('ＪＢ－２０２６－０００００７')).toBe('JB-2026-000007');
    expect(parseTipCode('YH-2026-000007')).toBeNull();
    expect(() => formatTipCode(26, 1)).toThrow(RangeError);
  });

  it('moves received → accepted → confirmed | unfounded, and received → declined; nothing else', () => {
    expect(transitionTip(received, { type: 'accept' })).toEqual({ ok: true, status: 'accepted', answer: null });
    const declined = transitionTip(received, { type: 'decline', decline: { reason: 'not_work_safety' } });
    expect(declined).toMatchObject({ ok: true, status: 'declined' });
    const confirmed = transitionTip(accepted, { type: 'confirm', hazardCode: 'YH-2026-000001' });
    expect(confirmed).toMatchObject({ ok: true, status: 'confirmed' });
    expect(confirmed.ok && confirmed.answer).toContain('YH-2026-000001');
    const unfounded = transitionTip(accepted, { type: 'unfounded', note: '现场无此情况' });
    expect(unfounded.ok && unfounded.answer).toContain('现场无此情况');

    expect(transitionTip(accepted, { type: 'accept' })).toMatchObject({ ok: false, code: 'invalid_state' });
    expect(transitionTip(received, { type: 'confirm', hazardCode: 'YH-2026-000001' })).toMatchObject({
      ok: false,
      message: '请先受理该举报',
    });
    expect(transitionTip(accepted, { type: 'decline', decline: { reason: 'not_work_safety' } })).toMatchObject({
      ok: false,
    });
    for (const status of ['declined', 'unfounded', 'confirmed'] as const) {
      expect(transitionTip({ status, hazardCode: null }, { type: 'accept' }).ok).toBe(false);
      expect(transitionTip({ status, hazardCode: null }, { type: 'unfounded', note: 'x' }).ok).toBe(false);
    }
  });

  it('asks each reason’s detail, and a note for 不属实', () => {
    expect(transitionTip(received, { type: 'decline', decline: { reason: 'duplicate', of: ' ' } })).toMatchObject({
      ok: false,
      code: 'invalid_input',
      field: 'duplicate_of',
    });
    expect(
      transitionTip(received, { type: 'decline', decline: { reason: 'outside_county', forwardedTo: '' } }),
    ).toMatchObject({ ok: false, field: 'forwarded_to' });
    const forwarded = transitionTip(received, {
      type: 'decline',
      decline: { reason: 'outside_county', forwardedTo: '邻县应急局' },
    });
    expect(forwarded.ok && forwarded.answer).toContain('已转交邻县应急局');
    expect(transitionTip(accepted, { type: 'unfounded', note: '  ' })).toMatchObject({ ok: false, field: 'note' });
    expect(transitionTip(accepted, { type: 'unfounded', note: '字'.repeat(501) })).toMatchObject({ field: 'note' });
  });

  it('answers again when the hazard closes, and only for a confirmed tip with a hazard', () => {
    const closed = transitionTip({ status: 'confirmed', hazardCode: 'YH-2026-000009' }, { type: 'hazardClosed' });
    expect(closed).toMatchObject({ ok: true, status: 'confirmed' });
    expect(closed.ok && closed.answer).toContain('YH-2026-000009');
    expect(transitionTip(accepted, { type: 'hazardClosed' }).ok).toBe(false);
  });

  it('lets the township’s, the department’s and the county’s inspectors and 安委办 handle; nobody else', () => {
    const place: TipPlace = { regionPath: ['county-x', 'town-01'], enterpriseCode: 'e001', departmentCode: 'yjj' };
    const as = (role: Role, scope: string) => {
      const [kind, code] = scope.split(':');
      return personActor('p', [
        { role, scope: kind === 'county' ? { kind: 'county' } : { kind: kind as 'region', code: code! } },
      ]);
    };
    expect(canHandleTip(as('inspector', 'region:town-01'), place).allowed).toBe(true);
    expect(canHandleTip(as('inspector', 'department:yjj'), place).allowed).toBe(true);
    expect(canHandleTip(as('inspector', 'county'), place).allowed).toBe(true);
    expect(canHandleTip(as('county_safety_office', 'county'), place).allowed).toBe(true);
    expect(canHandleTip(as('inspector', 'region:town-02'), place).allowed).toBe(false);
    expect(canHandleTip(as('inspector', 'department:scj'), place).allowed).toBe(false);
    // The unit's own inspector-scoped people and the township's leaders do not handle tips about it.
    expect(canHandleTip(as('inspector', 'enterprise:e001'), place).allowed).toBe(false);
    expect(canHandleTip(as('township_main_leader', 'region:town-01'), place).allowed).toBe(false);
    expect(canHandleTip(SYSTEM_ACTOR, place).allowed).toBe(false);
    const refusal = canHandleTip(as('inspector', 'region:town-02'), place);
    expect(refusal.allowed ? '' : refusal.reason).toContain('县安委办');
  });

  it('says 实名 or 匿名, never who', () => {
    expect(tipsterLabel({ name: null, phone: null })).toBe('匿名');
    expect(tipsterLabel({ name: '张三', phone: null })).toBe('实名');
    expect(tipsterLabel({ name: null, phone: '13800000000' })).toBe('实名');
  });
});

describe('a tip’s input (tips/input.ts)', () => {
  const problem = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (error instanceof TipInputError) return { code: error.code, field: error.field };
      throw error;
    }
    return null;
  };

  it('trims and checks the fields, naming the one at fault', () => {
    expect(checkTipFields({ what: ' 油桶 ', where: '仓库', phone: '139 1234 5678' })).toEqual({
      what: '油桶',
      where: '仓库',
      unit: null,
      region: null,
      name: null,
      phone: '13912345678',
      channel: 'page',
    });
    expect(checkTipFields({ what: 'a', where: 'b', phone: '0571-88886666' }).phone).toBe('0571-88886666');
    // The hidden via from a QR code is kept; anything else counts as the page.
    expect(checkTipFields({ what: 'a', where: 'b', via: 'unit_qr' }).channel).toBe('unit_qr');
    expect(checkTipFields({ what: 'a', where: 'b', via: '<x>' }).channel).toBe('page');
    expect(checkTipFields({ what: 'a', where: 'b', phone: '+8613912345678' }).phone).toBe('+8613912345678');
    expect(problem(() => checkTipFields({ what: '', where: 'b' }))).toEqual({ code: 'missing_field', field: 'what' });
    expect(problem(() => checkTipFields({ what: 'a' }))).toEqual({ code: 'missing_field', field: 'where' });
    expect(problem(() => checkTipFields({ what: '字'.repeat(2001), where: 'b' }))).toEqual({
      code: 'field_too_long',
      field: 'what',
    });
    expect(problem(() => checkTipFields({ what: 'a', where: 'b', phone: '12345678901' }))).toEqual({
      code: 'invalid_phone',
      field: 'phone',
    });
    expect(problem(() => checkTipFields({ what: 'a\u0007', where: 'b' }))).toEqual({
      code: 'invalid_field',
      field: 'what',
    });
    expect(checkTipFields({ what: '第一行\n第二行\t缩进', where: 'b' }).what).toBe('第一行\n第二行\t缩进');
  });

  it('reads the image type from the bytes, not the name', () => {
    expect(imageTypeOf(Buffer.from([0xff, 0xd8, 0xff, 0xdb, 0]))).toBe('image/jpeg');
    expect(imageTypeOf(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('image/png');
    expect(imageTypeOf(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBP')]))).toBe('image/webp');
    expect(imageTypeOf(Buffer.concat([Buffer.alloc(4), Buffer.from('ftypmif1')]))).toBe('image/heic');
    expect(imageTypeOf(Buffer.concat([Buffer.alloc(4), Buffer.from('ftypisom')]))).toBeNull(); // an MP4
    expect(imageTypeOf(Buffer.from('MZ\x90\x00'))).toBeNull();
    expect(imageTypeOf(Buffer.from('GIF89a'))).toBeNull();
    expect(imageTypeOf(Buffer.alloc(0))).toBeNull();
    expect(problem(() => checkTipPhoto(Buffer.from('MZ\x90\x00'), 2))).toEqual({
      code: 'photo_not_image',
      field: 'photos',
    });
  });
});

describe('the public pages (tips/pages.ts)', () => {
  it('escapes every value and carries no script', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const form = tipFormPage({
      countyName: '<县>',
      regions: [{ code: 'a"b', name: '<镇>' }],
      region: 'a"b',
      unit: null,
      via: 'township_qr',
      values: { what: '</textarea><script>x</script>', phone: '"><script>' },
      error: { field: 'phone', message: '<错>' },
    });
    expect(form).not.toMatch(/<script/i);
    expect(form).toContain('<input type="hidden" name="via" value="township_qr">');
    expect(form).toContain('&lt;/textarea&gt;&lt;script&gt;');
    expect(form).toContain('<option value="a&quot;b" selected>&lt;镇&gt;</option>');
    const status = tipStatusPage({
      code: 'JB-2026-000001',
      status: 'unfounded',
      statusLabel: '经核查不属实',
      receivedAt: '2026-03-01 09:00',
      answer: '<img src=x onerror=alert(1)>',
      answeredAt: '2026-03-02 10:00',
    });
    expect(status).not.toContain('<img');
    expect(status).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
