import { describe, expect, it } from 'vitest';
import { cardElements } from '../../src/dev/feishu-sim/card-elements.js';
import { CARD_MAX_BYTES, CARD_MAX_ELEMENTS } from '../../src/dev/feishu-sim/card-validator.js';
import { validateCard } from '../../src/dev/feishu-sim/index.js';
import { MAX_FINDINGS_LENGTH } from '../../src/domain/index.js';
import {
  buildChecklistCard,
  type ChecklistCardInput,
  firstPageOf,
  PAGE_BUDGET_BYTES,
  pageItems,
  paginateChecklist,
} from '../../src/inspections/cards/checklist-card.js';
import { buildInspectionFormCard } from '../../src/inspections/cards/inspection-form.js';
import { buildInspectionSummaryCard } from '../../src/inspections/cards/summary-card.js';

// biome-ignore lint/suspicious/noExplicitAny: cards are read as JSON.
type Json = any;

const bytes = (card: unknown) => Buffer.byteLength(JSON.stringify(card));
const elementCount = (card: Json) => cardElements(card).length;

/** A realistic item: a 危化品 重大隐患判定标准 article is 60–120 characters, its clause about 25. */
const item = (i: number, length = 110) => ({
  code: `${Math.floor(i / 10) + 1}.${(i % 10) + 1}`,
  text: `第${i + 1}项：${'涉及“两重点一重大”的生产装置、储存设施外部安全防护距离不符合国家标准要求，'.repeat(4)}`.slice(
    0,
    length,
  ),
  basis: `《危险化学品生产经营单位重大生产安全事故隐患判定标准（试行）》第${i + 1}条`,
  major: i % 4 === 0,
  result: 'pending',
});

const input = (over: Partial<ChecklistCardInput> = {}): ChecklistCardInput => ({
  inspectionId: 123,
  unitName: '城关精细化工有限公司',
  kind: 'unannounced',
  date: '2026-05-11',
  checklist: { name: '危险化学品企业重大事故隐患排查表', sector: '危险化学品' },
  inspectors: ['王检查', '李检查', '张检查'],
  items: Array.from({ length: 60 }, (_, i) => item(i)),
  findings: '',
  page: 0,
  photoCount: 0,
  ...over,
});

describe('the checklist card', () => {
  it('pages a 60-item checklist so that every page, at its largest, stays under 30 KB and 200 elements', () => {
    const base = input();
    const pages = paginateChecklist(base);
    expect(pages.length).toBeGreaterThan(1);
    // The pages cover every item once, in order.
    expect(pages.flatMap(([s, e]) => Array.from({ length: e - s }, (_, k) => s + k))).toEqual([...Array(60).keys()]);
    const worst = input({
      items: base.items.map((i) => ({ ...i, result: 'fixed_on_site' })),
      missing: base.items.map((i) => i.code),
      findings: '情'.repeat(MAX_FINDINGS_LENGTH),
      findingsError: '检查情况最多 2000 个字，当前 2001 个字',
      photoCount: 12,
    });
    for (let page = 0; page < pages.length; page++) {
      const card = buildChecklistCard({ ...worst, page });
      expect(bytes(card), `page ${page + 1}`).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
      expect(bytes(card)).toBeLessThan(CARD_MAX_BYTES);
      expect(elementCount(card)).toBeLessThanOrEqual(CARD_MAX_ELEMENTS);
      expect(validateCard(card)).toBeNull();
    }
  });

  it('keeps long items and a 60-item checklist of short ones within the limits too', () => {
    for (const items of [
      Array.from({ length: 60 }, (_, i) => item(i, 5)),
      Array.from({ length: 60 }, (_, i) => ({ ...item(i), text: '长'.repeat(2000), basis: '条'.repeat(500) })),
    ]) {
      const base = input({ items, missing: items.map((i) => i.code), findings: '情'.repeat(MAX_FINDINGS_LENGTH) });
      const { pageCount } = pageItems(base, 0);
      for (let page = 0; page < pageCount; page++) {
        const card = buildChecklistCard({ ...base, page });
        expect(bytes(card)).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
        expect(elementCount(card)).toBeLessThanOrEqual(CARD_MAX_ELEMENTS);
        expect(validateCard(card)).toBeNull();
      }
    }
  });

  it('names each item field item_<code> with the four results, 下一页 until the last page, then 提交检查 and findings', () => {
    const base = input();
    const { pageCount, codes } = pageItems(base, 0);
    const first: Json = buildChecklistCard(base);
    const selects = cardElements(first).filter((e: Json) => e.tag === 'select_static');
    expect(selects.map((s: Json) => s.name)).toEqual(codes.map((c) => `item_${c}`));
    expect(selects[0].options.map((o: Json) => [o.value, o.text.content])).toEqual([
      ['pass', '合格'],
      ['fail', '不合格'],
      ['fixed_on_site', '立查立改'],
      ['na', '不适用'],
    ]);
    const button = (card: Json) => cardElements(card).find((e: Json) => e.tag === 'button');
    expect(button(first).text.content).toBe('下一页');
    expect(button(first).behaviors[0].value).toEqual({ action: 'inspection.next', inspection: 123, page: 0 });
    expect(cardElements(first).some((e: Json) => e.name === 'findings')).toBe(false);
    expect(first.header.subtitle.content).toBe(`第 1/${pageCount} 页`);
    const last: Json = buildChecklistCard({ ...base, page: pageCount - 1 });
    expect(button(last).text.content).toBe('提交检查');
    expect(button(last).behaviors[0].value).toEqual({
      action: 'inspection.submit',
      inspection: 123,
      page: pageCount - 1,
    });
    expect(cardElements(last).some((e: Json) => e.name === 'findings')).toBe(true);
  });

  it('shows stored answers, and names missing items with their pages', () => {
    const base = input();
    const { codes: firstCodes } = pageItems(base, 0);
    const { codes: secondCodes } = pageItems(base, 1);
    const items = base.items.map((i) => (i.code === firstCodes[0] ? { ...i, result: 'fail' } : i));
    const missing = [firstCodes[1]!, secondCodes[0]!];
    const card: Json = buildChecklistCard({ ...base, items, missing, page: firstPageOf(base, missing) });
    const text = JSON.stringify(card);
    expect(text).toContain(`还有 2 项未选择检查结果：第 1 页 第 ${firstCodes[1]} 项；第 2 页 第 ${secondCodes[0]} 项`);
    const select = cardElements(card).find((e: Json) => e.name === `item_${firstCodes[0]}`);
    expect(select.initial_option).toBe('fail');
    expect(firstPageOf(base, [secondCodes[0]!])).toBe(1);
  });

  it('shows item texts as data, not markup', () => {
    const card = buildChecklistCard(input({ items: [{ ...item(0), text: '<at id=all></at> 储罐 <b>', basis: '' }] }));
    expect(JSON.stringify(card)).toContain('&lt;at id=all&gt;&lt;/at&gt; 储罐 &lt;b&gt;');
  });
});

describe('the inspection form', () => {
  it('names its fields as interface.md does, offers only self to a unit officer, and starts with 开始检查', () => {
    const card: Json = buildInspectionFormCard({
      values: { enterprise: '城关化工' },
      kinds: ['self'],
      checklists: [{ code: 'wh-01', name: '危化品', sector: '危险化学品' }],
      companions: [],
      today: '2026-05-11',
    });
    expect(validateCard(card)).toBeNull();
    const forms = cardElements(card).filter((e: Json) => e.tag === 'form');
    expect(forms).toHaveLength(1);
    const named = cardElements(card).filter((e: Json) => e.name && e.tag !== 'button' && e.tag !== 'form');
    expect(named.map((e: Json) => e.name)).toEqual(['enterprise', 'kind', 'checklist', 'date']);
    const kind = named.find((e: Json) => e.name === 'kind');
    expect(kind.options.map((o: Json) => [o.value, o.text.content])).toEqual([['self', '企业自查']]);
    expect(named.find((e: Json) => e.name === 'checklist').options[0].text.content).toBe('危险化学品 · 危化品');
    expect(named.find((e: Json) => e.name === 'enterprise').default_value).toBe('城关化工');
    expect(named.find((e: Json) => e.name === 'date').initial_date).toBe('2026-05-11');
    expect(cardElements(card).find((e: Json) => e.tag === 'button').text.content).toBe('开始检查');
  });

  it('offers companions in a person picker (never an empty one: that lists a chat)', () => {
    const card: Json = buildInspectionFormCard({
      values: { companions: ['ou_b', 'ou_gone'] },
      kinds: ['routine', 'campaign', 'unannounced', 'reinspection'],
      checklists: [],
      companions: [
        { openId: 'ou_a', name: '甲' },
        { openId: 'ou_b', name: '乙' },
      ],
      today: '2026-05-11',
      errors: { companions: '同行检查人须为检查员：丙 不是检查员' },
    });
    expect(validateCard(card)).toBeNull();
    const picker = cardElements(card).find((e: Json) => e.name === 'companions');
    expect(picker.tag).toBe('multi_select_person');
    expect(picker.options).toEqual([{ value: 'ou_a' }, { value: 'ou_b' }]);
    expect(picker.selected_values).toEqual(['ou_b']);
    expect(JSON.stringify(card)).toContain('丙 不是检查员');
    expect(
      cardElements(card)
        .find((e: Json) => e.name === 'kind')
        .options.map((o: Json) => o.text.content),
    ).toEqual(['日常检查', '专项检查', '四不两直', '复查']);
  });
});

describe('the summary card', () => {
  const summary = {
    code: 'JC-2026-000007',
    unitName: '城关化工',
    date: '2026-05-11',
    kind: 'routine' as const,
    checklist: { name: '危化品', sector: '危险化学品' },
    inspectors: ['王检查', '李检查'],
    counts: { pass: 10, fail: 0, fixed_on_site: 0, na: 2 },
    findings: '',
    photoCount: 0,
    reportForms: { count: 0, to: '王检查', toAsker: true },
    fixedOnSite: [],
    photosWith: null,
  };

  it('says 未发现隐患 for a clean inspection', () => {
    const card: Json = buildInspectionSummaryCard(summary);
    expect(validateCard(card)).toBeNull();
    expect(card.header.title.content).toBe('检查已提交 JC-2026-000007');
    expect(JSON.stringify(card)).toContain('未发现隐患');
    expect(JSON.stringify(card)).toContain('合格 10 · 不合格 0 · 立查立改 0 · 不适用 2');
  });

  it('says what happens next: the report forms sent and the 立查立改 hazards closed', () => {
    const card: Json = buildInspectionSummaryCard({
      ...summary,
      counts: { pass: 8, fail: 2, fixed_on_site: 1, na: 1 },
      photoCount: 2,
      fixedOnSite: ['YH-2026-000003'],
      photosWith: 'YH-2026-000003',
    });
    const text = JSON.stringify(card);
    expect(text).not.toContain('未发现隐患');
    expect(text).toContain('2 张隐患上报表已发给您');
    expect(text).toContain('1 项立查立改已登记销号：YH-2026-000003');
    expect(text).toContain('2 张（随立查立改隐患 YH-2026-000003 登记）');
  });
});
