/**
 * One hazard (`GET /web/hazards/:code`): what and where, the five 定 (措施、资金、时限、责任人、预案, with 标准 beside
 * 措施 as the card shows it), the before/after photos, the documents (PDFs), and the trail in words. The card view
 * (hazards/view.ts) gives the flags, listing, plan state and 五落实 as the cards say them.
 */
import type { HazardCardView } from '../../hazards/cards/hazard-card.js';
import type { PhotoInfo } from '../../ledger/detail.js';
import type { LedgerRow } from '../../ledger/query.js';
import { type Html, html } from './html.js';
import { type Frame, layout, STATIC_PREFIX } from './layout.js';

export interface HazardPageData {
  row: LedgerRow;
  view: HazardCardView;
  photos: PhotoInfo[];
  documents: { name: string; title: string; size: number; createdAt: string }[];
  /** Oldest first, local `YYYY-MM-DD HH:mm`. */
  trail: { at: string; who: string; text: string }[];
}

const SOURCE_LABELS: Record<string, string> = {
  report: '上报',
  inspection: '检查发现',
  self_inspection: '企业自查',
  public_tip: '群众举报',
};

function item(label: string, value: Html | string | null | undefined, key?: string): Html {
  return html`<div class="item"${key ? html` data-field="${key}"` : ''}><dt>${label}</dt><dd>${value === null || value === undefined || value === '' ? '—' : value}</dd></div>`;
}

function photoGroup(code: string, title: string, photos: PhotoInfo[]): Html {
  return html`<figure class="photos"><figcaption>${title}</figcaption>${
    photos.length === 0
      ? html`<p class="empty">暂无照片</p>`
      : photos.map(
          (p) =>
            html`<a href="/web/hazards/${code}/photos/${p.id}"><img src="/web/hazards/${code}/photos/${p.id}" alt="${title}" loading="lazy"></a>`,
        )
  }</figure>`;
}

export function hazardPage(frame: Frame, data: HazardPageData): Html {
  const { row, view } = data;
  const plan = view.governancePlan;
  const before = data.photos.filter((p) => p.stage !== 'rectification');
  const after = data.photos.filter((p) => p.stage === 'rectification');
  const major = row.grade === 'major';
  const body = html`<p class="crumbs"><a href="/web/hazards">隐患清单</a> › ${row.code}</p>
<h1 class="hazard-title"><span class="light light-${view.light}">${view.statusLabel}</span> ${row.code}</h1>
<p class="flags">${view.flags}</p>

<section class="panel" aria-labelledby="h-what">
<h2 id="h-what">隐患情况</h2>
<dl class="facts">
${item('单位', row.enterpriseName, 'enterprise')}
${item('乡镇', row.townshipName, 'township')}
${item('行业', row.sector)}
${item('主管部门', row.departmentName)}
${item('隐患描述', row.description, 'description')}
${item('隐患位置', row.location)}
${item('判定依据', row.basis)}
${item('来源', `${SOURCE_LABELS[row.source] ?? row.source}${row.inspectionCode ? `（${row.inspectionCode}）` : ''}${row.fixedOnSite ? '，立查立改' : ''}`)}
${item('上报人', `${view.reporterName}（${view.reportedAt}）`)}
${view.listing ? item('挂牌督办', `${view.listing.authorityLabel}（${view.listing.byName}，${view.listing.at}）${row.status === 'closed' ? '，已摘牌' : ''}`) : ''}
${view.supervisionLabel ? item('督办', view.supervisionLabel) : ''}
${row.suspended ? item('停产停业整改', view.resumptionRequest ? `是；${view.resumptionRequest.byName} 已于 ${view.resumptionRequest.at} 申请复产` : '是') : ''}
</dl>
</section>

<section class="panel" aria-labelledby="h-five">
<h2 id="h-five">五定（措施、资金、时限、责任人、预案）</h2>
<dl class="facts five">
${item('定措施', plan ? plan.measures : row.measures, 'measures')}
${item('整改标准', row.standard)}
${item('定资金', plan ? plan.funds || '未填写' : major ? '治理方案未提交' : '—（一般隐患不要求）', 'funds')}
${item('定时限', html`${row.deadline}${view.overdue ? html` <span class="red">（已超期）</span>` : ''}${plan && plan.deadline !== row.deadline ? `；方案时限 ${plan.deadline}` : ''}`, 'deadline')}
${item('定责任人', `${row.responsibleName ?? '待指定'}${plan?.responsibility ? `；${plan.responsibility}` : ''}${view.acknowledged ? '（已确认接收）' : ''}`, 'responsible')}
${item('定预案', plan ? plan.contingency || '未填写' : major ? '治理方案未提交' : '—（一般隐患不要求）', 'contingency')}
${view.plan ? item('治理方案', `${view.plan.stateLabel}${view.plan.version ? `（第 ${view.plan.version} 版）` : ''}，提交期限 ${view.plan.due}${view.plan.reason ? `；退回理由：${view.plan.reason}` : ''}`) : ''}
${item('整改情况', row.rectification)}
${row.closedAt ? item('验收', `${row.closedByName ?? '—'}`) : ''}
</dl>
</section>

<section class="panel" aria-labelledby="h-photos">
<h2 id="h-photos">照片</h2>
<div class="photo-pair">${photoGroup(row.code, '整改前', before)}${photoGroup(row.code, '整改后', after)}</div>
</section>

${
  data.documents.length
    ? html`<section class="panel" aria-labelledby="h-docs"><h2 id="h-docs">文书</h2><ul class="documents">${data.documents.map(
        (d) =>
          html`<li><a href="/web/hazards/${row.code}/documents/${d.name}">${d.title}</a> <span class="muted">PDF，${Math.max(1, Math.round(d.size / 1024))} KB，${d.createdAt}</span></li>`,
      )}</ul></section>`
    : ''
}

<section class="panel" aria-labelledby="h-trail">
<h2 id="h-trail">处理记录</h2>
<ol class="trail">${data.trail.map((e) => html`<li><time>${e.at}</time> <b>${e.who}</b> ${e.text}</li>`)}</ol>
</section>
${major ? html`<section id="lookback" data-code="${row.code}"></section>` : ''}`;
  return layout({
    frame,
    title: row.code,
    current: 'hazard',
    body,
    scripts: major ? [`${STATIC_PREFIX}lookback.js`] : [],
  });
}

export function notFoundPage(frame: Frame, what: string): Html {
  return layout({
    frame,
    title: '没有找到',
    current: 'hazard',
    body: html`<h1>没有找到</h1><p>${what}</p><p><a href="/web/hazards">回到隐患清单</a></p>`,
  });
}
