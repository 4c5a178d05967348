import { describe, expect, it } from 'vitest';
import { SHIPPED_CLAUSES } from '../../src/domain/major-hazard-clauses.js';
import { basisOptions, checkBasis, shippedBasisCatalog } from '../../src/hazards/basis-clauses.js';
import { buildReportFormCard } from '../../src/hazards/cards/report-form.js';
import { FIELD_LIMITS, SECTORS } from '../../src/hazards/report-input.js';

const catalog = shippedBasisCatalog();

describe('the shipped 判定依据 clauses', () => {
  it('have unique codes, cover the five standards, and say where an article number is not certain', () => {
    const codes = SHIPPED_CLAUSES.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect([...new Set(SHIPPED_CLAUSES.map((c) => c.sector))]).toEqual([
      '工贸',
      '危险化学品',
      '特种设备',
      '消防',
      '燃气',
    ]);
    // 121号 has twenty items, 第一条 to 第二十条.
    expect(SHIPPED_CLAUSES.filter((c) => c.sector === '危险化学品').map((c) => c.cite.split(' ')[1])).toHaveLength(20);
    expect(SHIPPED_CLAUSES.find((c) => c.code === 'whp-20')!.cite).toBe('安监总管三〔2017〕121号 第二十条');
    for (const c of SHIPPED_CLAUSES) {
      expect(/第[一二三四五六七八九十]+条|\d\.\d|请以官方文本为准/.test(c.cite), c.code).toBe(true);
    }
  });

  it('the pick list: all sectors grouped by name before a sector is chosen, one sector after; 其他 last', () => {
    const all = basisOptions(catalog);
    expect(all.at(-1)!.value).toBe('other');
    expect(all.filter((o) => o.text.startsWith('危化｜'))).toHaveLength(20);
    const one = basisOptions(catalog, '燃气');
    expect(one.map((o) => o.value)).toEqual(['rq-04', 'rq-05', 'rq-pipe', 'rq-bottle', 'rq-09', 'other']);
    expect(basisOptions(catalog, '建筑施工').map((o) => o.value)).toEqual(['other']);
    const card = buildReportFormCard({
      draft: 1,
      values: {},
      sectors: SECTORS,
      defaultDeadline: '2026-12-31',
      photoCount: 0,
      limits: FIELD_LIMITS,
      basisOptions: all,
    });
    expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThan(30 * 1024);
  });

  it('a very long list is cut to fit the card, keeping the chosen clause', () => {
    const many = Array.from({ length: 400 }, (_, i) => ({
      code: `ck:big:${i}`,
      sector: '工贸',
      cite: `某标准 第${i}条`,
      topic: '很长的检查内容'.repeat(10),
      text: '',
    }));
    const big = { bySector: new Map([['工贸', many]]), byCode: new Map(many.map((c) => [c.code, c])) };
    const options = basisOptions(big, undefined, 'ck:big:399');
    expect(options.length).toBeLessThan(200);
    expect(options.some((o) => o.value === 'ck:big:399')).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(options))).toBeLessThan(18_000);
  });

  it('checks: 其他 needs text, an unknown code or another sector’s clause is refused, a major clause asks for 重大', () => {
    const check = (basis: string, other = '', sector = '危险化学品', level = 'major') =>
      checkBasis(catalog, { basis, other, sector, level });
    expect(check('')).toEqual({ errors: {}, basis: null });
    expect(check('whp-01').basis).toEqual({
      code: 'whp-01',
      text: '安监总管三〔2017〕121号 第一条：主要负责人和安全管理人员未依法考核合格',
    });
    expect(check('other').errors.basis_other).toContain('请写明');
    expect(check('other', '某条例 第三条', '危险化学品', 'general').basis).toEqual({
      code: 'other',
      text: '某条例 第三条',
    });
    expect(check('whp-99').errors.basis).toContain('不在列表中');
    expect(check('gm-11').errors.basis).toContain('与行业「危险化学品」不一致');
    expect(check('whp-01', '', '危险化学品', 'general').errors.level).toContain('请将隐患等级改为重大事故隐患');
    expect(check('whp-01', '又写了').errors.basis_other).toContain('请留空');
    // An older form's free text in `basis` is its 其他.
    expect(check('应急管理部令第10号 第三条').basis).toEqual({ code: 'other', text: '应急管理部令第10号 第三条' });
  });
});
