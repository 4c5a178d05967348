/**
 * 总览 (`GET /web/`): the headline figures, township and sector by colour, the weekly trend, the major hazards under
 * supervision and the plans' coverage. Every figure is in the HTML (readable without script, and what the tests
 * read); the same data goes to /web/static/overview.js as JSON for the charts.
 */
import type { LocalDate } from '../../domain/vocabulary.js';
import { type Html, html, jsonScript, queryString } from './html.js';
import { ECHARTS_PATH, type Frame, layout, STATIC_PREFIX } from './layout.js';
import type { Light, LightRow, OverviewData } from './overview-data.js';

const LIGHT_LABELS: Record<Light, string> = { red: '有超期', yellow: '有临期', green: '正常' };

/** The charts' legend in HTML (the vendored ECharts build is the small one, without a legend component). */
function legend(items: [string, string][]): Html {
  return html`<p class="legend">${items.map(([tone, label]) => html`<span class="key key-${tone}">${label}</span>`)}</p>`;
}

const LIGHT_LEGEND = legend([
  ['red', '超期'],
  ['yellow', '3 天内到期'],
  ['green', '正常'],
]);

const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);

function figure(key: string, label: string, value: number, note?: Html | string, tone?: Light): Html {
  return html`<div class="figure${tone ? ` tone-${tone}` : ''}" data-figure="${key}">
  <div class="label">${label}</div><div class="value">${value}</div>${note ? html`<div class="note">${note}</div>` : ''}
</div>`;
}

function lightTable(kind: 'township' | 'sector', rows: LightRow[]): Html {
  if (rows.length === 0) return html`<p class="empty">范围内暂无隐患。</p>`;
  return html`<div class="table-wrap"><table class="lights" data-table="${kind}">
<thead><tr><th>${kind === 'township' ? '乡镇（街道）' : '行业'}</th><th>状态</th><th class="num">未闭环</th><th class="num">超期</th><th class="num">临期</th><th class="num wide">已销号</th><th class="num wide">合计</th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr data-key="${r.key}">
<td><a href="/web/hazards${queryString({ ...r.filter, status: 'open' })}">${r.name}</a></td>
<td><span class="light light-${r.light}">${LIGHT_LABELS[r.light]}</span></td>
<td class="num" data-col="open">${r.open}</td><td class="num red" data-col="red">${r.red}</td><td class="num yellow" data-col="yellow">${r.yellow}</td>
<td class="num wide" data-col="closed">${r.closed}</td><td class="num wide" data-col="total">${r.total}</td></tr>`,
  )}</tbody></table></div>`;
}

function trendTable(trend: OverviewData['trend']): Html {
  return html`<details><summary>逐周数字</summary><div class="table-wrap"><table data-table="trend">
<thead><tr><th>周（周一）</th><th class="num">发现</th><th class="num">销号</th></tr></thead>
<tbody>${trend.map((w) => html`<tr><td>${w.weekStart}</td><td class="num">${w.reported}</td><td class="num">${w.closed}</td></tr>`)}</tbody>
</table></div></details>`;
}

function majorList(items: OverviewData['majorItems'], today: LocalDate): Html {
  if (items.length === 0) return html`<p class="empty">范围内没有未销号的重大隐患。</p>`;
  return html`<ul class="major-list">${items.map(
    (i) => html`<li><a href="/web/hazards/${i.code}">${i.code}</a> ${i.enterpriseName}
<span class="muted">${i.townshipName}</span>
${i.listed ? html`<span class="tag">挂牌督办</span>` : ''}${i.supervision === 'county' ? html`<span class="tag">县级督办</span>` : i.supervision === 'township' ? html`<span class="tag">乡镇督办</span>` : ''}
<span class="${i.overdue ? 'red' : i.deadline <= today ? 'yellow' : 'muted'}">期限 ${i.deadline}${i.overdue ? '（已超期）' : ''}</span></li>`,
  )}</ul>`;
}

function coverageSection(coverage: OverviewData['coverage']): Html {
  if (coverage.plans.length === 0) return html`<p class="empty">范围内暂无正在执行的检查计划。</p>`;
  const t = coverage.totals;
  return html`<div class="figures small">
${figure('coverage-rate', '已检查', t.done, percent(coverage.rate))}
${figure('coverage-due', '本期待检', t.due)}
${figure('coverage-overdue', '逾期未检', t.overdue, undefined, t.overdue ? 'red' : undefined)}
${figure('coverage-never', '从未检查', t.neverInspected)}
</div>
${legend([
  ['green', '已检'],
  ['yellow', '待检'],
  ['red', '逾期'],
])}<div class="chart chart-short" id="chart-coverage" role="img" aria-label="各检查计划覆盖率"></div>
<div class="table-wrap"><table data-table="coverage">
<thead><tr><th>检查计划</th><th>频次</th><th class="num">企业</th><th class="num">已检</th><th class="num">待检</th><th class="num">逾期</th><th class="num">覆盖率</th></tr></thead>
<tbody>${coverage.plans.map(
    (
      p,
    ) => html`<tr><td>${p.name}</td><td>${p.every}</td><td class="num">${p.counts.units}</td><td class="num">${p.counts.done}</td>
<td class="num">${p.counts.due}</td><td class="num red">${p.counts.overdue}</td><td class="num">${percent(p.rate)}</td></tr>`,
  )}</tbody></table></div>`;
}

export function overviewPage(frame: Frame, data: OverviewData): Html {
  const h = data.headline;
  const body = html`<h1>总览 <small>截至 ${data.today}</small></h1>
<section class="figures" aria-label="主要数字">
${figure('open', '未闭环隐患', h.open, html`<a href="/web/hazards?status=open">查看清单</a>`)}
${figure('overdue', '已超期', h.overdue, `占未闭环 ${percent(h.overdueRate)}`, h.overdue ? 'red' : 'green')}
${figure('major', '重大隐患未销号', h.major, html`<a href="/web/hazards?grade=major&amp;status=open">查看清单</a>`, h.major ? 'yellow' : undefined)}
${figure('listed', '挂牌督办', h.listed, `县级督办 ${h.countySupervised} · 乡镇督办 ${h.townshipSupervised}`)}
${figure('suspended', '停产停业整改', h.suspended)}
</section>

<section class="panel" aria-labelledby="h-township">
<h2 id="h-township">各乡镇未闭环隐患</h2>
${LIGHT_LEGEND}<div class="chart" id="chart-township" role="img" aria-label="各乡镇未闭环隐患"></div>
${lightTable('township', data.byTownship)}
</section>

<section class="panel" aria-labelledby="h-sector">
<h2 id="h-sector">各行业未闭环隐患</h2>
${LIGHT_LEGEND}<div class="chart" id="chart-sector" role="img" aria-label="各行业未闭环隐患"></div>
${lightTable('sector', data.bySector)}
</section>

<section class="panel" aria-labelledby="h-trend">
<h2 id="h-trend">每周发现与销号</h2>
${legend([
  ['red', '发现'],
  ['green', '销号'],
])}<div class="chart chart-short" id="chart-trend" role="img" aria-label="每周发现与销号趋势"></div>
${trendTable(data.trend)}
</section>

<section class="panel" aria-labelledby="h-major">
<h2 id="h-major">重大隐患督办（期限最近的 ${data.majorItems.length} 条）</h2>
${majorList(data.majorItems, data.today)}
</section>

<section class="panel" aria-labelledby="h-coverage">
<h2 id="h-coverage">检查计划覆盖</h2>
${coverageSection(data.coverage)}
</section>

<section id="campaign"></section>
${jsonScript('overview-data', data)}`;
  return layout({
    frame,
    title: '总览',
    current: 'overview',
    body,
    classicScripts: [ECHARTS_PATH],
    scripts: [`${STATIC_PREFIX}overview.js`, `${STATIC_PREFIX}campaign.js`],
  });
}
