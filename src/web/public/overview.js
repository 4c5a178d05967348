// 总览's charts (ECharts, loaded before this module as /web/vendor/echarts.min.js). The figures come from the page's
// <script type="application/json" id="overview-data">; the tables beside each chart hold the same numbers.
// The vendored build is ECharts' small one (bar, line, grid): the page draws the legends in HTML.
// Tooltips render on the canvas (renderMode richText): ECharts' HTML tooltips carry inline styles a strict CSP refuses.
/* global echarts */

const COLORS = { red: '#d93026', yellow: '#e8a200', green: '#2e9e5b', blue: '#3370ff' };

const source = document.getElementById('overview-data');
const data = source ? JSON.parse(source.textContent) : null;
const charts = [];

function chartIn(id) {
  const element = document.getElementById(id);
  if (!element || typeof echarts === 'undefined') return null;
  const chart = echarts.init(element, null, { renderer: 'canvas' });
  charts.push(chart);
  return chart;
}

const narrow = () => window.matchMedia('(max-width: 719px)').matches;

/** Open hazards of each township (or sector) as red / yellow / green stacked bars, the largest on top. */
function lightsChart(id, rows) {
  const shown = rows
    .filter((r) => r.open > 0)
    .slice(0, 20)
    .reverse();
  const element = document.getElementById(id);
  if (!element) return;
  if (shown.length === 0) {
    element.hidden = true;
    return;
  }
  // As tall as the bars need (CSSOM, which the CSP allows; a style attribute it would refuse).
  element.style.height = `${Math.max(140, 30 * shown.length + 40)}px`;
  const chart = chartIn(id);
  if (!chart) return;
  const bar = (name, key, color) => ({
    name,
    type: 'bar',
    stack: 'open',
    data: shown.map((r) => r[key]),
    itemStyle: { color },
    barMaxWidth: 22,
  });
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, renderMode: 'richText' },
    grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: {
      type: 'category',
      data: shown.map((r) => r.name),
      axisLabel: { width: narrow() ? 72 : 140, overflow: 'truncate' },
    },
    series: [
      bar('超期', 'red', COLORS.red),
      bar('3 天内到期', 'yellow', COLORS.yellow),
      bar('正常', 'green', COLORS.green),
    ],
  });
}

function trendChart(trend) {
  const chart = chartIn('chart-trend');
  if (!chart) return;
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: trend.map((w) => w.weekStart.slice(5)), boundaryGap: false },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      {
        name: '发现',
        type: 'line',
        data: trend.map((w) => w.reported),
        itemStyle: { color: COLORS.red },
        symbolSize: 6,
      },
      {
        name: '销号',
        type: 'line',
        data: trend.map((w) => w.closed),
        itemStyle: { color: COLORS.green },
        symbolSize: 6,
      },
    ],
  });
}

function coverageChart(coverage) {
  const plans = coverage.plans.slice(0, 15).reverse();
  const element = document.getElementById('chart-coverage');
  if (element) element.style.height = `${Math.max(140, 30 * plans.length + 40)}px`;
  const chart = chartIn('chart-coverage');
  if (!chart) return;
  const bar = (name, key, color) => ({
    name,
    type: 'bar',
    stack: 'units',
    data: plans.map((p) => p.counts[key]),
    itemStyle: { color },
    barMaxWidth: 22,
  });
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, renderMode: 'richText' },
    grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: {
      type: 'category',
      data: plans.map((p) => p.name),
      axisLabel: { width: narrow() ? 80 : 160, overflow: 'truncate' },
    },
    series: [bar('已检', 'done', COLORS.green), bar('待检', 'due', COLORS.yellow), bar('逾期', 'overdue', COLORS.red)],
  });
}

if (data) {
  lightsChart('chart-township', data.byTownship);
  lightsChart('chart-sector', data.bySector);
  trendChart(data.trend);
  if (data.coverage.plans.length) coverageChart(data.coverage);
  // Rendering is synchronous with animation off: the charts are drawn now. The browser test and the bench wait for this.
  document.body.dataset.chartsAt = String(Math.round(performance.now()));
  document.body.dataset.charts = String(charts.length);
  let pending;
  window.addEventListener('resize', () => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      for (const chart of charts) chart.resize();
    }, 100);
  });
}
