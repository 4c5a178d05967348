// 治本攻坚专项指标 on the overview: fills <section id="campaign"> from GET /web/api/campaign?from&to (the viewer's
// scope), with a period picker, the xlsx link (通报晾晒) and an ECharts bar chart of the townships' overdue rates when
// the page loaded ECharts (window.echarts). Text goes in with textContent only: names come from the directory.
// Strict CSP: no inline style; classes are styled by campaign.css, linked from here.

const section = document.getElementById('campaign');

/** An element with classes and text (textContent: never parsed as HTML). */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function linkStylesheet() {
  const href = '/web/static/campaign.css';
  if (document.querySelector(`link[href="${href}"]`)) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  document.head.append(link);
}

const percent = (rate) => `${(rate * 100).toFixed(1)}%`;
const days = (value) => (value === null || value === undefined ? '—' : `${value} 天`);

function query(from, to) {
  const params = new URLSearchParams();
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  const text = params.toString();
  return text ? `?${text}` : '';
}

function figure(label, main, detail, tone) {
  const box = el('div', `cmp-figure${tone ? ` cmp-${tone}` : ''}`);
  box.append(el('div', 'cmp-label', label), el('div', 'cmp-value', main));
  if (detail) box.append(el('div', 'cmp-detail', detail));
  return box;
}

function table(headers, rows, caption) {
  const wrap = el('div', 'cmp-table-wrap');
  const t = el('table', 'cmp-table');
  if (caption) t.append(el('caption', null, caption));
  const head = el('tr');
  for (const h of headers) head.append(el('th', null, h));
  const thead = el('thead');
  thead.append(head);
  t.append(thead);
  const body = el('tbody');
  for (const row of rows) {
    const tr = el('tr');
    for (const cell of row) tr.append(el('td', null, cell));
    body.append(tr);
  }
  if (rows.length === 0) {
    const tr = el('tr');
    const td = el('td', 'cmp-empty', '暂无');
    td.colSpan = headers.length;
    tr.append(td);
    body.append(tr);
  }
  t.append(body);
  wrap.append(t);
  return wrap;
}

const RANK_HEADERS = ['排名', '名称', '未闭环', '超期', '逾期率', '期内销号', '整改用时中位数'];
const rankRows = (list) =>
  list.map((r, i) => [i + 1, r.name, r.open, r.overdue, percent(r.overdueRate), r.closed, days(r.medianDaysToClose)]);

/** The chart on the page (disposed when the period changes and the section is drawn again). */
let chart = null;
window.addEventListener('resize', () => chart?.resize());

/** The townships' overdue rates as a horizontal bar chart, worst on top; nothing when ECharts is not on the page. */
function drawChart(holder, townships) {
  chart?.dispose();
  chart = null;
  const echarts = window.echarts;
  if (!echarts || typeof echarts.init !== 'function' || townships.length === 0) return false;
  const rows = townships.slice(0, 15).reverse();
  // The box's height comes from campaign.css (no inline style under the CSP): a class by the number of bars.
  const chartBox = el('div', `cmp-chart ${rows.length <= 3 ? 'cmp-chart-s' : rows.length > 8 ? 'cmp-chart-l' : ''}`);
  chartBox.setAttribute('role', 'img');
  chartBox.setAttribute('aria-label', '各乡镇逾期率排名');
  holder.append(chartBox);
  chart = echarts.init(chartBox, null, { renderer: 'svg' });
  chart.setOption({
    animation: false,
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    xAxis: {
      type: 'value',
      axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` },
      max: (v) => Math.max(v.max, 0.1),
    },
    yAxis: { type: 'category', data: rows.map((r) => r.name) },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      // ECharts renders a string formatter as HTML: give it a DOM node built with textContent instead.
      formatter: (params) => {
        const row = rows[params[0].dataIndex];
        return el(
          'span',
          null,
          `${row.name}：逾期率 ${percent(row.overdueRate)}（超期 ${row.overdue} / 未闭环 ${row.open}）`,
        );
      },
    },
    series: [
      {
        type: 'bar',
        barMaxWidth: 24,
        data: rows.map((r) => ({
          value: r.overdueRate,
          itemStyle: { color: r.overdueRate >= 0.2 ? '#d93026' : r.overdueRate > 0 ? '#e8a200' : '#2e9e5b' },
        })),
        label: { show: true, position: 'right', formatter: (p) => percent(p.value) },
      },
    ],
  });
  section.dataset.chart = 'drawn';
  return true;
}

function render(report, from, to) {
  const body = section.querySelector('.cmp-body');
  body.replaceChildren();
  const { stock, increment, dynamicZero } = report.majors;
  section.querySelector('.cmp-period').textContent =
    `${report.scopeName} · ${report.period.from} 至 ${report.period.to}（${report.campaignYear} 年度）`;
  section.querySelector('.cmp-xlsx').href = `/web/campaign.xlsx${query(from, to)}`;

  const figures = el('div', 'cmp-figures');
  figures.append(
    figure('存量重大隐患', stock.total, `期间销号 ${stock.closed} · 未销号 ${stock.open}`),
    figure('增量重大隐患', increment.total, `期间销号 ${increment.closed} · 未销号 ${increment.open}`),
    dynamicZero.reached
      ? figure('动态清零', '已实现', '没有超过期限未销号的重大隐患', 'good')
      : figure('动态清零', '未实现', `${dynamicZero.openPastDeadline} 条重大隐患超过期限未销号`, 'bad'),
  );
  body.append(figures);

  const ranking = el('div', 'cmp-panel');
  // In the page before the chart is drawn: ECharts measures its box.
  body.append(ranking);
  ranking.append(el('h3', null, '通报晾晒：乡镇（按逾期率）'));
  const slot = el('div', 'cmp-chart-slot');
  ranking.append(slot);
  const townships = report.rankings.townships.byOverdueRate;
  // ECharts may still be loading (a deferred or async script of the page): draw once the page has loaded.
  if (!drawChart(slot, townships) && !window.echarts && document.readyState !== 'complete') {
    window.addEventListener('load', () => drawChart(slot, townships), { once: true });
  }
  ranking.append(table(RANK_HEADERS, rankRows(report.rankings.townships.byOverdueRate)));
  ranking.append(el('h3', null, '乡镇（按整改用时）'));
  ranking.append(table(RANK_HEADERS, rankRows(report.rankings.townships.byMedianDays)));
  ranking.append(el('h3', null, '行业主管部门（按逾期率）'));
  ranking.append(table(RANK_HEADERS, rankRows(report.rankings.departments.byOverdueRate)));
  ranking.append(el('h3', null, '行业主管部门（按整改用时）'));
  ranking.append(table(RANK_HEADERS, rankRows(report.rankings.departments.byMedianDays)));

  const q = report.quality;
  const quality = el('div', 'cmp-panel');
  quality.append(el('h3', null, '检查质量'));
  quality.append(
    table(
      ['单位', '乡镇', '检查次数', '最近检查'],
      q.quietUnits.items.map((u) => [u.name, u.township, u.visits, u.lastVisit]),
      `检查 ${q.thresholds.unitVisits} 次及以上从未发现隐患的单位：${q.quietUnits.total} 家`,
    ),
    table(
      ['检查人', '带队检查', '涉及单位', '最近检查'],
      q.quietInspectors.items.map((p) => [p.name, p.inspections, p.units, p.lastInspection]),
      `带队检查 ${q.thresholds.inspectorInspections} 次及以上从未发现隐患的检查人：${q.quietInspectors.total} 人`,
    ),
    table(
      ['隐患编号', '单位', '检查项', '发现日期', '此前已销号'],
      q.recurring.items.map((h) => [
        h.code,
        h.enterpriseName,
        `${h.checklistCode} 第 ${h.itemCode} 项：${h.itemText}`,
        h.foundOn,
        `${h.earlierCode}（${h.earlierClosedOn} 销号）`,
      ]),
      `同一单位同一检查项反复出现的隐患：${q.recurring.total} 条`,
    ),
  );
  body.append(quality);
}

async function load(from, to) {
  const status = section.querySelector('.cmp-status');
  status.textContent = '加载中…';
  try {
    const response = await fetch(`/web/api/campaign${query(from, to)}`, { headers: { accept: 'application/json' } });
    const data = await response.json();
    if (!response.ok) {
      status.textContent = data?.error?.message ?? `加载失败（${response.status}）`;
      return;
    }
    status.textContent = '';
    render(data, from, to);
    section.querySelector('input[name="from"]').value = data.period.from;
    section.querySelector('input[name="to"]').value = data.period.to;
    section.dataset.loaded = 'true';
    // When the section was complete (the bench reads it beside the charts' time).
    section.dataset.loadedAt = String(Math.round(performance.now()));
  } catch (error) {
    status.textContent = '加载失败，请稍后重试';
    console.error('campaign:', error);
  }
}

function mount() {
  linkStylesheet();
  section.classList.add('cmp');
  const header = el('div', 'cmp-header');
  header.append(el('h2', null, '治本攻坚专项指标'), el('div', 'cmp-period'));
  const form = el('form', 'cmp-picker');
  const from = el('input');
  from.type = 'date';
  from.name = 'from';
  from.setAttribute('aria-label', '开始日期');
  const to = el('input');
  to.type = 'date';
  to.name = 'to';
  to.setAttribute('aria-label', '结束日期');
  const submit = el('button', null, '查询');
  submit.type = 'submit';
  const xlsx = el('a', 'cmp-xlsx', '导出通报晾晒（Excel）');
  xlsx.href = '/web/campaign.xlsx';
  xlsx.setAttribute('download', '');
  form.append(el('label', null, '期间'), from, el('span', null, '至'), to, submit, xlsx);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load(from.value, to.value);
  });
  section.replaceChildren(header, form, el('div', 'cmp-status'), el('div', 'cmp-body'));
  load('', '');
}

if (section) mount();
