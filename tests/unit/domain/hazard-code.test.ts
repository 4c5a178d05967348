import { describe, expect, it } from 'vitest';
import { formatHazardCode, isHazardCode, parseHazardCode } from '../../../src/domain/hazard-code.js';

describe('formatHazardCode', () => {
  it('writes YH-<year>-<6 digits>', () => {
    expect(formatHazardCode(2026, 123)).toBe('YH-2026-000123');
    expect(formatHazardCode(2026, 1)).toBe('YH-2026-000001');
    expect(formatHazardCode(2026, 999_999)).toBe('YH-2026-999999');
  });

  it('grows a digit past 999999 rather than wrap', () => {
    expect(formatHazardCode(2026, 1_000_000)).toBe('YH-2026-1000000');
  });

  it('refuses impossible years and sequences', () => {
    expect(() => formatHazardCode(26, 1)).toThrow(/4-digit year/);
    expect(() => formatHazardCode(2026, 0)).toThrow(/≥ 1/);
    expect(() => formatHazardCode(2026, 1.5)).toThrow(/whole number/);
  });
});

describe('isHazardCode', () => {
  it('accepts only the canonical form', () => {
    expect(isHazardCode('YH-2026-000123')).toBe(true);
    expect(isHazardCode('YH-2026-1000000')).toBe(true);
    for (const text of ['yh-2026-000123', 'YH-2026-123', 'YH-2026-0123456', 'YH2026000123', ' YH-2026-000123']) {
      expect(isHazardCode(text), text).toBe(false);
    }
  });
});

describe('parseHazardCode', () => {
  const canonical = { year: 2026, sequence: 123, code: 'YH-2026-000123' };

  it('reads numbers as people type them on a phone', () => {
    for (const typed of [
      'YH-2026-000123',
      'yh-2026-000123',
      'Yh-2026-123',
      'ＹＨ－２０２６－０００１２３',
      'ｙｈ２０２６０００１２３',
      'YH 2026 000123',
      ' YH - 2026 - 000123 ',
      'YH—2026—000123',
      'YH–2026–000123',
      'YH_2026_000123',
      'YH2026000123',
      '2026-000123',
      '２０２６－１２３',
    ]) {
      expect(parseHazardCode(typed), typed).toEqual(canonical);
    }
  });

  it('returns null for anything that is not a hazard number', () => {
    for (const typed of [
      '',
      '帮助',
      'YH',
      'YH-2026',
      'YH-2026-',
      'YH-2026-0',
      'XX-2026-000123',
      '2026000123',
      'YH-26-1',
    ]) {
      expect(parseHazardCode(typed), typed).toBeNull();
    }
  });
});
