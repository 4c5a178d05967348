/**
 * 隐患清单 (`GET /web/hazards`): the ledger's filters (ledger/filters.ts) and its keyset paging (ledger/query.ts) over
 * the viewer's scope, and the xlsx of exactly that filtered set (`GET /web/ledger.xlsx?<the same filters>`).
 */
import { and, asc, inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import { regions } from '../../db/schema/index.js';
import type { Calendar } from '../../domain/index.js';
import { GRADE_LABELS, HAZARD_STATUSES, STATUS_LABELS } from '../../domain/vocabulary.js';
import { FILTER_PARAMETERS, filterCondition, parseFilters } from '../../ledger/filters.js';
import { isRowOverdue, rowLight } from '../../ledger/present.js';
import type { LedgerRow, Page, Sort } from '../../ledger/query.js';
import { type ResolvedScope, scopeCondition } from '../../ledger/scope.js';
import { type Html, html, queryString } from './html.js';
import { type Frame, layout } from './layout.js';

export const PAGE_SIZE = 50;

export const SORT_LABELS: Record<Sort, string> = {
  '-reported_at': '发现时间（新→旧）',
  reported_at: '发现时间（旧→新）',
  deadline: '整改期限（近→远）',
  '-deadline': '整改期限（远→近）',
  '-code': '编号（大→小）',
  code: '编号（小→大）',
};

/** The filter parameters as given (first value of each, trimmed, empty ones left out): for the form and the links. */
export type FilterValues = Partial<Record<(typeof FILTER_PARAMETERS)[number], string>>;

export function filterValues(query: Record<string, unknown>): FilterValues {
  const values: FilterValues = {};
  for (const name of FILTER_PARAMETERS) {
    const value = query[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string' && first.trim() !== '') values[name] = first.trim();
  }
  return values;
}

/** The scope and the filters as one condition; throws FilterError (the caller answers 400). */
export async function listCondition(
  db: Db,
  scope: ResolvedScope,
  values: FilterValues,
  calendar: Calendar,
  now: Date,
): Promise<SQL | undefined> {
  return and(scopeCondition(scope), await filterCondition(db, parseFilters(values), calendar, now));
}

export interface FilterChoices {
  townships: { code: string; name: string; depth: number }[];
  sectors: string[];
}

/** The townships a viewer may pick (those of their scope; the whole tree for a county or a department), and sectors. */
export async function filterChoices(db: Db, scope: ResolvedScope): Promise<FilterChoices> {
  const limited = !scope.county && scope.regionIds.length > 0;
  const rows = await db
    .select({ id: regions.id, code: regions.code, name: regions.name, parentId: regions.parentId })
    .from(regions)
    .where(limited ? inArray(regions.id, scope.regionIds) : undefined)
    .orderBy(asc(regions.code));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const depth = (id: number): number => {
    const parent = byId.get(id)?.parentId;
    return parent !== null && parent !== undefined && byId.has(parent) ? 1 + depth(parent) : 0;
  };
  const sectorRows = rowsOf<{ sector: string }>(
    await db.execute(
      sql`select distinct s as sector from (select unnest(sectors) as s from departments
          union select unnest(sectors) from enterprises) x where s <> '' order by 1`,
    ),
  );
  return {
    townships: rows.map((r) => ({ code: r.code, name: r.name, depth: depth(r.id) })),
    sectors: sectorRows.map((r) => r.sector),
  };
}

const STATUS_CHOICES: [string, string][] = [
  ['open', '未闭环（全部）'],
  ...HAZARD_STATUSES.map((s): [string, string] => [s, STATUS_LABELS[s]]),
];

function select(name: string, label: string, choices: [string, string][], current: string | undefined): Html {
  return html`<label>${label}<select name="${name}"><option value="">全部</option>${choices.map(
    ([value, text]) => html`<option value="${value}"${value === current ? html` selected` : ''}>${text}</option>`,
  )}${current && !choices.some(([v]) => v === current) ? html`<option value="${current}" selected>${current}</option>` : ''}</select></label>`;
}

function filterForm(values: FilterValues, sort: Sort, choices: FilterChoices): Html {
  return html`<form class="filters" method="get" action="/web/hazards">
${select(
  'township',
  '乡镇',
  choices.townships.map((t) => [t.code, `${'　'.repeat(t.depth)}${t.name}`]),
  values.township,
)}
${select(
  'sector',
  '行业',
  choices.sectors.map((s) => [s, s]),
  values.sector,
)}
${select(
  'grade',
  '等级',
  [
    ['general', GRADE_LABELS.general],
    ['major', GRADE_LABELS.major],
  ],
  values.grade,
)}
${select('status', '状态', STATUS_CHOICES, values.status)}
${select(
  'overdue',
  '超期',
  [
    ['true', '已超期'],
    ['false', '未超期'],
  ],
  values.overdue,
)}
<label>发现自<input type="date" name="from" value="${values.from ?? ''}"></label>
<label>至<input type="date" name="to" value="${values.to ?? ''}"></label>
<label>排序<select name="sort">${(Object.keys(SORT_LABELS) as Sort[]).map(
    (s) => html`<option value="${s}"${s === sort ? html` selected` : ''}>${SORT_LABELS[s]}</option>`,
  )}</select></label>
<div class="actions"><button type="submit">查询</button><a href="/web/hazards">清除条件</a>
<a class="button" href="/web/ledger.xlsx${queryString(values)}" download>导出 Excel</a></div>
</form>`;
}

const LIGHT_TEXT = { red: '超期', yellow: '临期', green: '' } as const;

function row(r: LedgerRow, today: string): Html {
  const light = rowLight(r, today);
  return html`<tr data-code="${r.code}">
<td data-label="编号"><a href="/web/hazards/${r.code}">${r.code}</a></td>
<td data-label="单位">${r.enterpriseName}</td>
<td data-label="乡镇">${r.townshipName}</td>
<td data-label="行业">${r.sector}</td>
<td data-label="等级">${r.grade === 'major' ? html`<span class="tag major">重大</span>` : '一般'}</td>
<td data-label="状态"><span class="light light-${light}">${STATUS_LABELS[r.status]}${isRowOverdue(r, today) ? '（已超期）' : LIGHT_TEXT[light] ? `（${LIGHT_TEXT[light]}）` : ''}</span></td>
<td data-label="整改期限">${r.deadline}</td>
<td data-label="责任人">${r.responsibleName ?? '待指定'}</td>
<td data-label="隐患描述" class="desc">${r.description}</td>
</tr>`;
}

export function listPage(input: {
  frame: Frame;
  values: FilterValues;
  sort: Sort;
  cursor: string | undefined;
  choices: FilterChoices;
  page: Page | null;
  error: string | null;
  today: string;
}): Html {
  const { values, sort, page } = input;
  const sortParam = sort === '-reported_at' ? undefined : sort;
  const next = page?.nextCursor
    ? `/web/hazards${queryString({ ...values, sort: sortParam, cursor: page.nextCursor })}`
    : null;
  const body = html`<h1>隐患清单</h1>
${filterForm(values, sort, input.choices)}
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
${
  page
    ? page.rows.length === 0
      ? html`<p class="empty">没有符合条件的隐患。</p>`
      : html`<div class="table-wrap"><table class="hazards">
<thead><tr><th>编号</th><th>单位</th><th>乡镇</th><th>行业</th><th>等级</th><th>状态</th><th>整改期限</th><th>责任人</th><th>隐患描述</th></tr></thead>
<tbody>${page.rows.map((r) => row(r, input.today))}</tbody></table></div>`
    : ''
}
<nav class="pager">${input.cursor ? html`<a href="/web/hazards${queryString({ ...values, sort: sortParam })}">回到第一页</a>` : ''}
${next ? html`<a href="${next}" rel="next">下一页</a>` : ''}</nav>`;
  return layout({ frame: input.frame, title: '隐患清单', current: 'hazards', body });
}
