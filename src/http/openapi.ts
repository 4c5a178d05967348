/**
 * The read API's OpenAPI 3.1 description, written by hand (no generator package), and a minimal page at `/docs`
 * that renders it as a readable list without any script from the internet.
 * Kept whole because it is one document: the paths refer to one another's schemas, and a reader checks the API's
 * contract by reading it top to bottom.
 */
import { QUALITY_THRESHOLDS } from '../domain/campaign.js';
import { RANKING_HEADERS, RANKING_SHEETS } from '../ledger/campaign/xlsx.js';
import { LEDGER_HEADERS } from '../ledger/xlsx.js';

const filterParameters = [
  {
    name: 'township',
    in: 'query',
    description: '乡镇（区域）编码，逗号分隔可多选；含下级区域。例：town-01,town-02',
    schema: { type: 'string' },
  },
  { name: 'sector', in: 'query', description: '行业，逗号分隔可多选。例：危险化学品', schema: { type: 'string' } },
  {
    name: 'grade',
    in: 'query',
    description: '隐患等级：general（一般）、major（重大），逗号分隔可多选',
    schema: { type: 'string' },
  },
  {
    name: 'status',
    in: 'query',
    description:
      '状态：reported、rectifying、pending_verification、pending_delisting（待摘牌）、closed，或 open（未闭环），逗号分隔可多选',
    schema: { type: 'string' },
  },
  { name: 'overdue', in: 'query', description: 'true 只看超期，false 只看未超期', schema: { type: 'boolean' } },
  {
    name: 'from',
    in: 'query',
    description: '发现时间起（本地日期，含当日）YYYY-MM-DD',
    schema: { type: 'string', format: 'date' },
  },
  {
    name: 'to',
    in: 'query',
    description: '发现时间止（本地日期，含当日）YYYY-MM-DD',
    schema: { type: 'string', format: 'date' },
  },
  {
    name: 'scope',
    in: 'query',
    description: '缩小范围：county（默认）、region:<编码>、department:<编码>、enterprise:<编码>',
    schema: { type: 'string' },
  },
];

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const errors = {
  '400': error('参数有误：{"error":{"code","message"}}，message 说明要改什么'),
  '401': error('缺少或错误的令牌'),
  '503': error('未配置 API_TOKENS 或 ADMIN_TOKEN，读取接口关闭'),
};

const counts = (description: string) => ({
  type: 'object',
  description,
  properties: { total: { type: 'integer' }, open: { type: 'integer' }, closed: { type: 'integer' } },
});

const rankedRow = {
  type: 'object',
  properties: {
    code: { type: 'string' },
    name: { type: 'string' },
    open: { type: 'integer', description: '未闭环（未销号）' },
    overdue: { type: 'integer', description: '超期（今天，与统计口径相同）' },
    overdueRate: { type: 'number', description: '超期 ÷ 未闭环' },
    closed: { type: 'integer', description: '期间内销号' },
    medianDaysToClose: {
      type: ['number', 'null'],
      description: '期间内销号隐患从发现到销号的自然日中位数；无销号为 null',
    },
  },
};

const ranking = {
  type: 'object',
  properties: {
    byOverdueRate: { type: 'array', items: rankedRow, description: '逾期率高的在前' },
    byMedianDays: { type: 'array', items: rankedRow, description: '用时长的在前；期间内无销号的排最后' },
  },
};

/** The `campaign` object of /api/stats (src/domain/campaign.ts defines each figure). */
const campaignSchema = {
  type: 'object',
  properties: {
    period: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } } },
    campaignYear: { type: 'integer', description: '治本攻坚年度：to 所在年' },
    majors: {
      type: 'object',
      properties: {
        stock: counts('存量重大隐患：本年度 1 月 1 日前发现、当日未销号；open 为期末未销号，closed 为期间内销号'),
        increment: counts('增量重大隐患：本年度 1 月 1 日至 to 发现'),
        dynamicZero: {
          type: 'object',
          description: '动态清零：to 日终了时没有超过整改期限仍未销号的重大隐患',
          properties: { reached: { type: 'boolean' }, openPastDeadline: { type: 'integer' } },
        },
      },
    },
    rankings: {
      type: 'object',
      description: '通报晾晒（/api/campaign.xlsx 可导出）',
      properties: { townships: ranking, departments: ranking },
    },
    quality: {
      type: 'object',
      description: `检查质量：期间内政府检查（不含企业自查）至少 ${QUALITY_THRESHOLDS.unitVisits} 次、从未发现隐患的单位（quietUnits）；带队检查至少 ${QUALITY_THRESHOLDS.inspectorInspections} 次、从未发现隐患的检查人（quietInspectors）；同一单位同一检查项在已销号后再次发现的隐患（recurring）。各列最多 50 条，total 为总数`,
    },
  },
};

const hazardSchema = {
  type: 'object',
  properties: {
    code: { type: 'string', examples: ['YH-2026-000123'] },
    enterprise: { type: 'object', properties: { code: { type: 'string' }, name: { type: 'string' } } },
    township: { type: 'object', properties: { code: { type: 'string' }, name: { type: 'string' } } },
    department: { type: ['string', 'null'] },
    sector: { type: 'string' },
    grade: { enum: ['general', 'major'] },
    status: { enum: ['reported', 'rectifying', 'pending_verification', 'pending_delisting', 'closed'] },
    overdue: { type: 'boolean' },
    light: { enum: ['red', 'yellow', 'green'], description: '红=超期，黄=3天内到期，绿=正常' },
    description: { type: 'string' },
    location: { type: 'string' },
    measures: { type: 'string' },
    standard: { type: 'string' },
    deadline: { type: 'string', format: 'date' },
    reportedAt: { type: 'string', format: 'date-time' },
    reporter: { type: 'string' },
    responsible: { type: ['string', 'null'] },
    rectification: { type: ['string', 'null'] },
    rectifiedAt: { type: ['string', 'null'], format: 'date-time' },
    verifiedBy: { type: ['string', 'null'] },
    closedAt: { type: ['string', 'null'], format: 'date-time' },
    supervision: { enum: ['none', 'township', 'county'] },
    suspended: { type: 'boolean' },
    basis: {
      type: ['object', 'null'],
      description: '判定依据：code 为依据条款列表中的编码（other 为手填），text 为条款文字',
      properties: { code: { type: ['string', 'null'] }, text: { type: 'string' } },
    },
  },
};

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: '隐患闭环助手 读取接口',
      version: '1.0.0',
      description:
        '隐患台账、统计、检查计划覆盖率与导出。认证：Authorization: Bearer <API_TOKENS 中的令牌或 ADMIN_TOKEN>。' +
        '令牌默认看到全县；用 scope 参数缩小范围。错误一律为 {"error":{"code","message"}}。',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Campaign: campaignSchema,
        Error: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
              required: ['code', 'message'],
            },
          },
        },
        Hazard: hazardSchema,
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/api/hazards': {
        get: {
          summary: '隐患列表（筛选、排序、游标分页）',
          parameters: [
            ...filterParameters,
            {
              name: 'sort',
              in: 'query',
              description: '排序：-reported_at（默认）、reported_at、-deadline、deadline、-code、code',
              schema: { type: 'string' },
            },
            { name: 'limit', in: 'query', description: '每页条数 1–200，默认 50', schema: { type: 'integer' } },
            {
              name: 'cursor',
              in: 'query',
              description: '上一页返回的 nextCursor，原样传回；顺序稳定，翻页期间新增的隐患不会打乱已翻过的页',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': {
              description: '一页隐患',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      items: { type: 'array', items: { $ref: '#/components/schemas/Hazard' } },
                      nextCursor: { type: ['string', 'null'] },
                    },
                  },
                },
              },
            },
            ...errors,
          },
        },
      },
      '/api/hazards/{code}': {
        get: {
          summary:
            '一条隐患，含全过程记录（trail）、照片链接、文书（documents）与重大隐患的治理方案（plan：状态、提交期限、各版本与审核；一般隐患为 null）',
          parameters: [
            { name: 'code', in: 'path', required: true, schema: { type: 'string' }, description: '如 YH-2026-000123' },
            filterParameters.at(-1),
          ],
          responses: {
            '200': { description: '隐患详情', content: { 'application/json': { schema: hazardSchema } } },
            '404': error('没有该编号的隐患，或不在范围内'),
            ...errors,
          },
        },
      },
      '/api/hazards/{code}/photos/{id}': {
        get: {
          summary: '隐患照片（原始字节）',
          parameters: [
            { name: 'code', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'id', in: 'path', required: true, schema: { type: 'integer' } },
          ],
          responses: {
            '200': { description: '图片', content: { 'image/*': {} } },
            '404': error('没有该照片'),
            ...errors,
          },
        },
      },
      '/api/hazards/{code}/documents/{name}': {
        get: {
          summary: '隐患文书 PDF：隐患整改通知书（notice）、整改复查意见书（review-1、review-2…）、治理方案（plan）',
          parameters: [
            { name: 'code', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: '如 notice' },
          ],
          responses: {
            '200': { description: 'PDF（Content-Disposition 带中文文件名）', content: { 'application/pdf': {} } },
            '404': error('没有该文书，或隐患不在范围内'),
            ...errors,
          },
        },
      },
      '/api/stats': {
        get: {
          summary:
            '统计：按乡镇、行业、等级、状态；逾期率；挂牌督办重大隐患；近 8 周趋势。带 period 时为统计分析表（16号令）',
          parameters: [
            ...filterParameters,
            {
              name: 'period',
              in: 'query',
              description: '统计分析表的期间：季度 2026Q3（次季度 15 日前报送）或年度 2026（次年 1 月 31 日前报送）',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': {
              description:
                '统计结果；statisticsDuty：范围内各单位本期（或 period 所指期间）统计分析表的确认情况（已确认数、未确认的单位）；' +
                'campaign（不带 period 时）：治本攻坚的专项指标，期间取 from 至 to（默认本年 1 月 1 日至今天；to 晚于今天按今天），' +
                '只按令牌和 scope 的范围，不受其他筛选条件影响。campaign 见 components.schemas.Campaign',
              content: { 'application/json': {} },
            },
            ...errors,
          },
        },
      },
      '/api/stats.xlsx': {
        get: {
          summary:
            '统计分析表 Excel（报上级用）：每个乡镇一行（无隐患为 0，整改率无基数为“—”，停用区域不列）、合计，标题、填报单位、统计期间和填报日期，横向按页宽打印',
          parameters: [
            ...filterParameters,
            {
              name: 'period',
              in: 'query',
              description: '期间：季度 2026Q3 或年度 2026；默认本季度（最近一个已发送统计分析表的季度）',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': {
              description: 'xlsx 文件',
              content: { 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {} },
            },
            ...errors,
          },
        },
      },
      '/api/campaign.xlsx': {
        get: {
          summary: `通报晾晒 Excel：${RANKING_SHEETS.map((x) => x.name).join('、')} 四张表，列：${RANKING_HEADERS.join('、')}；最差的排在前面`,
          parameters: [
            {
              name: 'from',
              in: 'query',
              description: '期间起（本地日期，含当日）；默认 to 所在年的 1 月 1 日',
              schema: { type: 'string', format: 'date' },
            },
            {
              name: 'to',
              in: 'query',
              description: '期间止（本地日期，含当日）；默认今天，晚于今天按今天',
              schema: { type: 'string', format: 'date' },
            },
            filterParameters.find((p) => p.name === 'scope')!,
          ],
          responses: {
            '200': {
              description: 'xlsx 文件（与 /api/stats 的 campaign.rankings 相同）',
              content: { 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {} },
            },
            ...errors,
          },
        },
      },
      '/api/ledger.xlsx': {
        get: {
          summary: `隐患台账 Excel（流式导出）。列：${LEDGER_HEADERS.join('、')}`,
          parameters: filterParameters,
          responses: {
            '200': {
              description: 'xlsx 文件',
              content: { 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {} },
            },
            ...errors,
          },
        },
      },
      '/api/coverage': {
        get: {
          summary:
            '检查计划覆盖率：每个计划本期应检企业中已检、待检、逾期未检和计划开始以来从未检查的数量（企业自查不计）；' +
            '双随机计划按本期抽取结果计（本期首次使用时抽取并记录）',
          parameters: [
            filterParameters.at(-1),
            { name: 'plan', in: 'query', description: '只看一个计划（计划编码）', schema: { type: 'string' } },
            {
              name: 'units',
              in: 'query',
              description: '1 = 同时列出企业（逾期在前，其次按应检截止日期由近及远）',
              schema: { type: 'string', enum: ['0', '1', 'true', 'false'] },
            },
            {
              name: 'limit',
              in: 'query',
              description: '每个计划最多列出的企业数，1–10000，默认 1000',
              schema: { type: 'integer' },
            },
            {
              name: 'date',
              in: 'query',
              description: '按哪一天计算（本地日期 YYYY-MM-DD），默认今天',
              schema: { type: 'string', format: 'date' },
            },
          ],
          responses: {
            '200': {
              description:
                '{date, scope, totals: {units, done, due, overdue, neverInspected}, plans: [{code, name, owner, every, ' +
                'sample, period, previousPeriod, ended, draw, counts, rate, units?: [{enterprise, township, status, ' +
                'lastInspectedAt, dueBy, neverInspected}], unitsLeftOff?}]}',
              content: { 'application/json': {} },
            },
            '404': error('没有该编码的计划'),
            ...errors,
          },
        },
      },
      '/api/tips': {
        get: {
          summary:
            '群众举报，新的在前。令牌绑定的范围（API_TOKEN_SCOPES）只看范围内的举报；举报人的姓名、电话和地址只对全县范围的令牌给出，' +
            '其他只给 实名/匿名',
          parameters: [
            {
              name: 'status',
              in: 'query',
              description:
                'received（待受理）、accepted（核查中）、declined（不予受理）、confirmed（属实）、unfounded（不属实）',
              schema: { type: 'string' },
            },
            { name: 'limit', in: 'query', description: '每页条数，1–200，默认 50', schema: { type: 'integer' } },
            { name: 'cursor', in: 'query', description: '上一页返回的 nextCursor', schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description:
                '{items: [{code, status, statusLabel, what, where, region, unit, tipster: {kind, name?, phone?, ip?}, ' +
                'decline, unfoundedNote, hazardCode, answer, answeredAt, receivedAt, acceptedAt, decidedAt}], nextCursor}',
              content: { 'application/json': {} },
            },
            ...errors,
          },
        },
      },
      '/api/tips/{code}': {
        get: {
          summary: '一条群众举报，含处理记录（trail）；登记为隐患的给出 hazardCode',
          parameters: [
            { name: 'code', in: 'path', required: true, schema: { type: 'string' }, description: '如 JB-2026-000001' },
          ],
          responses: {
            '200': { description: '举报详情', content: { 'application/json': {} } },
            '404': error('没有该编号的举报，或不在范围内'),
            ...errors,
          },
        },
      },
      '/api/tips/{code}/photos/{n}': {
        get: {
          summary: '群众举报的第 n 张照片（原始字节；类型在收到时按文件头判定）',
          parameters: [
            { name: 'code', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'n', in: 'path', required: true, schema: { type: 'integer' }, description: '1–6' },
          ],
          responses: {
            '200': { description: '图片', content: { 'image/*': {} } },
            '404': error('没有该照片，或举报不在范围内'),
            ...errors,
          },
        },
      },
    },
  };
}

export const DOCS_HTML = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>隐患闭环助手 读取接口</title>
<style>body{font:15px/1.6 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
code{background:#f3f3f3;padding:0 .3em}h2{margin-top:2rem}li{margin:.2rem 0}</style></head>
<body><h1>隐患闭环助手 读取接口</h1>
<p>OpenAPI 3.1 描述：<a href="/docs/openapi.json">/docs/openapi.json</a>（可导入 Postman、Swagger UI 等工具）。</p>
<div id="paths">加载中…</div>
<script>
fetch('/docs/openapi.json').then(r => r.json()).then(doc => {
  const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
  let html = '<p>' + esc(doc.info.description) + '</p>';
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {
    html += '<h2><code>' + method.toUpperCase() + ' ' + esc(path) + '</code></h2><p>' + esc(op.summary) + '</p><ul>';
    for (const p of op.parameters || []) html += '<li><code>' + esc(p.name) + '</code> (' + esc(p.in) + ') ' + esc(p.description) + '</li>';
    html += '</ul><p>回应：' + Object.entries(op.responses).map(([c, r]) => esc(c) + ' ' + esc(r.description)).join('；') + '</p>';
  }
  document.getElementById('paths').innerHTML = html;
});
</script></body></html>
`;
