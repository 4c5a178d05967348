/**
 * The checklist card (card JSON 2.0): each item's text with its clause, and a select `item_<code>` — 合格 / 不合格 /
 * 立查立改 / 不适用 — plus `findings` (检查情况) on the last page, submit 提交检查 (interface.md).
 *
 * Feishu refuses a card over 30 KB or 200 elements, and a 60-item checklist with real texts is bigger: the items are
 * paged by a byte budget. Pages are cut from the items alone, each item measured as it would be at its largest (an
 * answer chosen and a warning beside it) and each page with room for the largest notice and 检查情况, so a page
 * never moves while it is being filled in and no card grows past the limit. Each page is a form whose button
 * (下一页) stores that page's answers and shows the next page; the last page's button is 提交检查.
 */
import {
  INSPECTION_KIND_LABELS,
  type InspectionKind,
  ITEM_RESULT_LABELS,
  ITEM_RESULTS,
  isItemResult,
  itemField,
  MAX_FINDINGS_LENGTH,
} from '../../domain/index.js';
import { cardValue } from '../../feishu/card-actions.js';

/** A page's card stays at or under this many bytes (Feishu's limit is 30 KB: room is left for what we missed). */
export const PAGE_BUDGET_BYTES = 26 * 1024;
/** Items per page at most (two elements each; Feishu allows 200 elements per card). */
export const MAX_ITEMS_PER_PAGE = 60;
/** How many missing items the notice names one by one (the rest are counted). */
const MISSING_NAMED = 30;

const plain = (content: string) => ({ tag: 'plain_text', content });

/** Feishu's markdown reads `<…>` as tags: item texts are data, shown as written. */
const escapeMarkdown = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface ChecklistCardItem {
  code: string;
  text: string;
  basis: string;
  major: boolean;
  /** pass | fail | fixed_on_site | na, or `pending` while unanswered. */
  result: string;
}

export interface ChecklistCardInput {
  inspectionId: number;
  unitName: string;
  kind: InspectionKind;
  date: string;
  checklist: { name: string; sector: string };
  /** The inspectors' names, the lead first. */
  inspectors: readonly string[];
  items: readonly ChecklistCardItem[];
  /** 检查情况 as typed so far. */
  findings: string;
  /** The page to show (0-based; clamped to the pages there are). */
  page: number;
  /** Codes of the items still without an answer, when they are to be named (a refused 下一页 or 提交检查). */
  missing?: readonly string[];
  findingsError?: string;
  photoCount: number;
  /** The pages as paginateChecklist cuts them, when already known (they depend on the items and names only). */
  pages?: readonly [number, number][];
}

/** The card's pages: as given, or cut now. */
export const pagesOf = (input: ChecklistCardInput): readonly [number, number][] =>
  input.pages ?? paginateChecklist(input);

const RESULT_OPTIONS = ITEM_RESULTS.map((r) => ({ text: plain(ITEM_RESULT_LABELS[r]), value: r }));

function itemElements(item: ChecklistCardItem, flagged: boolean): object[] {
  const lines = [
    `**${escapeMarkdown(item.code)}. ${escapeMarkdown(item.text)}**${item.major ? " <font color='red'>（重大隐患判定项）</font>" : ''}`,
  ];
  if (item.basis) lines.push(`<font color='grey'>依据：${escapeMarkdown(item.basis)}</font>`);
  if (flagged) lines.push("<font color='red'>⚠ 请选择检查结果</font>");
  return [
    { tag: 'markdown', content: lines.join('\n') },
    {
      tag: 'select_static',
      name: itemField(item.code),
      placeholder: plain('检查结果'),
      options: RESULT_OPTIONS,
      ...(isItemResult(item.result) ? { initial_option: item.result } : {}),
    },
  ];
}

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** An item at its largest: an answer chosen (the longest value) and the warning beside it. */
const worstItemBytes = (item: ChecklistCardItem) =>
  bytesOf(itemElements({ ...item, result: 'fixed_on_site' }, true)) + 2;

/**
 * The card around the items at its largest: header, the notice naming the most items, photos, button — and on the
 * last page 检查情况 full with its warning.
 */
function worstFrameBytes(
  input: Pick<ChecklistCardInput, 'unitName' | 'checklist' | 'inspectors' | 'items'>,
  last: boolean,
): number {
  const longestCode = input.items.reduce((n, item) => Math.max(n, item.code.length), 1);
  const frame = buildPage(
    {
      inspectionId: 2 ** 31 - 1,
      unitName: input.unitName,
      kind: 'unannounced',
      date: '2026-12-31',
      checklist: input.checklist,
      inspectors: input.inspectors,
      items: [],
      findings: '检'.repeat(MAX_FINDINGS_LENGTH),
      page: 0,
      missing: Array.from({ length: MISSING_NAMED + 1 }, () => 'x'.repeat(longestCode)),
      findingsError: `检查情况最多 ${MAX_FINDINGS_LENGTH} 个字，当前 ${MAX_FINDINGS_LENGTH * 10} 个字`,
      photoCount: 999,
    },
    {
      items: [],
      pages: [
        [0, 0],
        [0, 0],
      ],
      pageIndex: 99,
      last,
      pageOfItem: () => 999,
    },
  );
  return bytesOf(frame) + 64;
}

/**
 * The pages of a checklist: [start, end) item indexes. As few pages as the byte budget and the item cap allow (the
 * last page has less room: it carries 检查情况), with the items spread evenly over them.
 */
export function paginateChecklist(
  input: Pick<ChecklistCardInput, 'unitName' | 'checklist' | 'inspectors' | 'items'>,
  budget = PAGE_BUDGET_BYTES,
): [number, number][] {
  const count = input.items.length;
  if (count === 0) return [[0, 0]];
  const sizes = input.items.map(worstItemBytes);
  const roomMiddle = budget - worstFrameBytes(input, false);
  const roomLast = budget - worstFrameBytes(input, true);
  for (let pageCount = 1; ; pageCount++) {
    const pages = spread(sizes, pageCount, roomMiddle, roomLast);
    if (pages) return pages.filter(([start, end]) => end > start);
  }
}

/**
 * `pageCount` pages taking about the same number of items each, within their room: the last page first (from the
 * end, it has the least room), then the others evenly; null when they cannot hold every item.
 */
function spread(sizes: readonly number[], pageCount: number, roomMiddle: number, roomLast: number) {
  const fill = (from: number, to: number, step: 1 | -1, target: number, room: number) => {
    // Every page holds at least one item, however long (the budget keeps room for the largest one allowed).
    let at = from;
    let used = 0;
    while (
      at !== to &&
      Math.abs(at - from) < target &&
      (at === from || used + sizes[step > 0 ? at : at - 1]! <= room)
    ) {
      used += sizes[step > 0 ? at : at - 1]!;
      at += step;
    }
    return at;
  };
  const count = sizes.length;
  const evenly = (items: number, pages: number) => Math.min(MAX_ITEMS_PER_PAGE, Math.ceil(items / pages));
  const lastStart = fill(count, 0, -1, evenly(count, pageCount), roomLast);
  if (pageCount === 1) return lastStart === 0 ? [[0, count] as [number, number]] : null;
  const pages: [number, number][] = [];
  let start = 0;
  for (let page = 0; page < pageCount - 1; page++) {
    const end = fill(start, lastStart, 1, evenly(lastStart - start, pageCount - 1 - page), roomMiddle);
    pages.push([start, end]);
    start = end;
  }
  if (start !== lastStart) return null;
  pages.push([lastStart, count]);
  return pages;
}

/** The checklist card at `input.page` (paged as paginateChecklist cuts it). */
export function buildChecklistCard(input: ChecklistCardInput): object {
  const pages = pagesOf(input);
  const pageIndex = Math.max(0, Math.min(input.page, pages.length - 1));
  const [start, end] = pages[pageIndex]!;
  const pageOfItem = (code: string) => {
    const index = input.items.findIndex((item) => item.code === code);
    return pages.findIndex(([s, e]) => index >= s && index < e);
  };
  return buildPage(input, {
    items: input.items.slice(start, end),
    pages,
    pageIndex,
    last: pageIndex === pages.length - 1,
    pageOfItem,
  });
}

/** The first page holding one of `codes` (0 when none does). */
export function firstPageOf(input: ChecklistCardInput, codes: readonly string[]): number {
  const pages = pagesOf(input);
  const wanted = new Set(codes);
  const index = input.items.findIndex((item) => wanted.has(item.code));
  const page = pages.findIndex(([s, e]) => index >= s && index < e);
  return Math.max(0, page);
}

/** The number of pages the checklist card has, and the item codes on `page`. */
export function pageItems(input: ChecklistCardInput, page: number): { pageCount: number; codes: string[] } {
  const pages = pagesOf(input);
  const [start, end] = pages[Math.max(0, Math.min(page, pages.length - 1))]!;
  return { pageCount: pages.length, codes: input.items.slice(start, end).map((item) => item.code) };
}

function buildPage(
  input: ChecklistCardInput,
  layout: {
    items: readonly ChecklistCardItem[];
    pages: readonly [number, number][];
    pageIndex: number;
    last: boolean;
    pageOfItem: (code: string) => number;
  },
): object {
  const { pageIndex, pages, last } = layout;
  const missing = new Set(input.missing ?? []);
  const answered = input.items.filter((item) => isItemResult(item.result)).length;
  const fields: object[] = layout.items.flatMap((item) => itemElements(item, missing.has(item.code)));
  if (last) {
    fields.push({
      tag: 'input',
      name: 'findings',
      label: plain('检查情况'),
      placeholder: plain('选填：检查过程、主要问题、整改要求等'),
      ...(input.findings ? { default_value: input.findings } : {}),
      max_length: 1000,
      input_type: 'multiline_text',
      rows: 3,
    });
    if (input.findingsError) {
      fields.push({ tag: 'markdown', content: `<font color='red'>⚠ ${input.findingsError}</font>` });
    }
  }
  const page = { inspection: input.inspectionId, page: pageIndex };
  fields.push({
    tag: 'button',
    name: last ? 'submit' : 'next',
    text: plain(last ? '提交检查' : '下一页'),
    type: 'primary_filled',
    form_action_type: 'submit',
    behaviors: [
      { type: 'callback', value: last ? cardValue('inspection.submit', page) : cardValue('inspection.next', page) },
    ],
  });

  const intro = [
    `**${INSPECTION_KIND_LABELS[input.kind]}** · ${input.date} · 检查人：${input.inspectors.join('、')}`,
    `检查表：${input.checklist.sector} · ${input.checklist.name}（共 ${input.items.length} 项，已填 ${answered} 项${input.photoCount > 0 ? `，照片 ${input.photoCount} 张` : ''}）`,
    last
      ? '逐项选择检查结果后点「提交检查」。不合格项提交后会收到预填的隐患上报表；立查立改项直接登记销号。'
      : '逐项选择检查结果后点「下一页」，已填的结果会保存。',
  ];
  const elements: object[] = [{ tag: 'markdown', content: intro.join('\n') }];
  if (missing.size > 0) elements.push({ tag: 'markdown', content: missingNotice([...missing], layout.pageOfItem) });
  elements.push({ tag: 'form', name: 'checklist', elements: fields });
  const pageLabel = pages.length > 1 ? `第 ${pageIndex + 1}/${pages.length} 页` : '';
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: `检查表｜${input.unitName}` } },
    header: {
      title: plain(`检查表｜${input.unitName}`),
      ...(pageLabel ? { subtitle: plain(pageLabel) } : {}),
      template: missing.size > 0 || input.findingsError ? 'orange' : 'blue',
    },
    body: { elements },
  };
}

/** "还有 3 项未选择检查结果：第 1 页 第 2、5 项；第 3 页 第 41 项" (the first MISSING_NAMED named). */
function missingNotice(codes: readonly string[], pageOfItem: (code: string) => number): string {
  const named = codes.slice(0, MISSING_NAMED);
  const byPage = new Map<number, string[]>();
  for (const code of named) {
    const page = pageOfItem(code);
    byPage.set(page, [...(byPage.get(page) ?? []), escapeMarkdown(code)]);
  }
  const parts = [...byPage].map(([page, list]) => `第 ${page + 1} 页 第 ${list.join('、')} 项`);
  const more = codes.length > named.length ? `等（另有 ${codes.length - named.length} 项）` : '';
  return `<font color='red'>**还有 ${codes.length} 项未选择检查结果：${parts.join('；')}${more}**。已选的结果都已保存。</font>`;
}
