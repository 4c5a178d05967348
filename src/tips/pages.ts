/**
 * The public pages of 群众举报, as plain HTML that works on any phone without JavaScript: the form (GET /tip), the
 * receipt after sending (the code and the private link), the tracking page (GET /tip/:code?key=) and the "too many"
 * page. Every value is escaped; the pages load their style (and, when a challenge is asked, the solver) from
 * `/tip/static/` — the strict CSP set by the route forbids anything inline. Pure.
 */
import type { TipChannel } from '../domain/tip.js';
import { TIP_LIMITS } from './input.js';
import type { TipPublicStatus } from './view.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

export const TIP_STATIC = '/tip/static';

function page(title: string, body: string, script?: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${TIP_STATIC}/tip.css">
${script ? `<script type="module" src="${TIP_STATIC}/${script}"></script>\n` : ''}</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

type FormField = 'what' | 'where' | 'unit' | 'region' | 'name' | 'phone' | 'photos';

export interface TipFormPage {
  countyName: string;
  /** The townships to choose from, and the one chosen (a township's QR code, or as sent before). */
  regions: { code: string; name: string }[];
  region: string | null;
  /** The unit of a unit's QR code: its code (sent back) and name (shown). */
  unit: { code: string; name: string } | null;
  /** How the form was opened (a unit's or township's QR code, or the page), sent back as the hidden `via`. */
  via: TipChannel;
  /** What was typed before a refused send, and what was wrong (shown beside its field). */
  values?: Partial<Record<'what' | 'where' | 'unit' | 'name' | 'phone', string>>;
  error?: { field: string; message: string };
  /** A proof-of-work challenge to answer with this send (after repeated tips from one address). */
  challenge?: string | null;
  /** Set when the form is shown again because the challenge was not answered. */
  challengeProblem?: string | null;
}

export function tipFormPage(input: TipFormPage): string {
  const v = input.values ?? {};
  const value = (field: keyof NonNullable<TipFormPage['values']>) =>
    v[field] ? ` value="${escapeHtml(v[field]!)}"` : '';
  const errorField = input.error?.field as FormField | undefined;
  const problem = (field: FormField) =>
    errorField === field ? `<p class="problem" id="problem-${field}">${escapeHtml(input.error!.message)}</p>` : '';
  const wrap = (field: FormField, inner: string) =>
    `<div class="field${errorField === field ? ' invalid' : ''}">${inner}${problem(field)}</div>`;
  const describedBy = (field: FormField) =>
    errorField === field ? ` aria-invalid="true" aria-describedby="problem-${field}"` : '';
  const known = new Set<FormField>(['what', 'where', 'unit', 'region', 'name', 'phone', 'photos']);
  const alert = input.error
    ? `<p class="alert" role="alert">提交未成功：请按标红处修改后再提交。已填写的内容都保留着，<strong>照片需要重新选择</strong>。${
        errorField && known.has(errorField) ? '' : escapeHtml(input.error.message)
      }</p>`
    : '';
  const regionOptions = input.regions
    .map(
      (r) =>
        `<option value="${escapeHtml(r.code)}"${r.code === input.region ? ' selected' : ''}>${escapeHtml(r.name)}</option>`,
    )
    .join('');
  const unit = input.unit
    ? `<div class="field"><p>举报单位：<strong>${escapeHtml(input.unit.name)}</strong></p><input type="hidden" name="unit" value="${escapeHtml(input.unit.code)}"></div>`
    : wrap(
        'unit',
        `<label for="tip-unit">涉及单位<span class="hint">选填：单位名称或招牌</span></label><input id="tip-unit" name="unit" maxlength="${TIP_LIMITS.unit}"${value('unit')}${describedBy('unit')}>`,
      );
  const challenge = input.challenge
    ? `<div class="notice" id="pow">${input.challengeProblem ? `<strong>${escapeHtml(input.challengeProblem)}</strong><br>` : ''}<span id="pow-status">本次提交需要浏览器自动完成一次安全验证。</span>
<noscript><br><strong>您的浏览器未启用 JavaScript，无法完成安全验证，本次举报不能提交。</strong>请启用 JavaScript 后刷新本页，或一小时后再提交，也可以直接拨打当地应急管理部门电话举报。</noscript>
<input type="hidden" name="challenge" value="${escapeHtml(input.challenge)}"><input type="hidden" name="nonce" value=""></div>`
    : '';
  return page(
    `${input.countyName}安全生产举报`,
    `<h1>${escapeHtml(input.countyName)}安全生产隐患举报</h1>
<p class="lead">发现安全隐患，请告诉我们。可以匿名举报；留下姓名电话的，我们严格保密，仅用于核实和答复。</p>
${alert}
<form method="post" action="/tip" enctype="multipart/form-data"${input.challenge ? ' data-challenge' : ''}>
<input type="hidden" name="via" value="${escapeHtml(input.via)}">
${wrap('what', `<label for="tip-what">反映的问题<span class="hint">必填：看到了什么隐患，在哪个位置</span></label><textarea id="tip-what" name="what" rows="6" maxlength="${TIP_LIMITS.what}" required${describedBy('what')}>${escapeHtml(v.what ?? '')}</textarea>`)}
${wrap('where', `<label for="tip-where">地点<span class="hint">必填：村（社区）、路名、门牌或标志物</span></label><input id="tip-where" name="where" maxlength="${TIP_LIMITS.where}" required${value('where')}${describedBy('where')}>`)}
${unit}
${wrap('region', `<label for="tip-region">所在乡镇</label><select id="tip-region" name="region"${describedBy('region')}><option value="">不清楚</option>${regionOptions}</select>`)}
${wrap('photos', `<label for="tip-photos">照片<span class="hint">选填：最多 ${TIP_LIMITS.photos} 张，每张不超过 10 MB（JPEG、PNG、WebP、HEIC）</span></label><input id="tip-photos" type="file" name="photos" accept="image/jpeg,image/png,image/webp,image/heic" multiple${describedBy('photos')}>`)}
${wrap('name', `<label for="tip-name">姓名<span class="hint">选填，严格保密</span></label><input id="tip-name" name="name" maxlength="${TIP_LIMITS.name}" autocomplete="name"${value('name')}${describedBy('name')}>`)}
${wrap('phone', `<label for="tip-phone">电话<span class="hint">选填，严格保密，仅用于核实和答复</span></label><input id="tip-phone" name="phone" type="tel" maxlength="${TIP_LIMITS.phone}" autocomplete="tel"${value('phone')}${describedBy('phone')}>`)}
${challenge}
<button type="submit">提交举报</button>
</form>
<footer>依据《中华人民共和国安全生产法》，任何单位和个人都有权举报事故隐患；举报人信息依法保密。</footer>`,
    input.challenge ? 'pow.js' : undefined,
  );
}

export function tipReceiptPage(input: { code: string; trackingUrl: string }): string {
  return page(
    '举报已收到',
    `<h1>举报已收到</h1>
<p>您的举报编号</p>
<p class="code" id="tip-code">${escapeHtml(input.code)}</p>
<div class="save">
<strong>请保存此链接</strong>
<p>只有持有此链接的人能看到处理进展和答复，请截图或收藏，不要转发给他人：</p>
<p><a id="tracking-link" href="${escapeHtml(input.trackingUrl)}">${escapeHtml(input.trackingUrl)}</a></p>
</div>
<p>我们将在 10 个工作日内核查并答复，答复会显示在上面的链接里。</p>`,
  );
}

export function tipStatusPage(status: TipPublicStatus): string {
  const answer = status.answer
    ? `<h2>答复</h2><p class="answer" id="tip-answer">${escapeHtml(status.answer)}</p><p>答复时间：${escapeHtml(status.answeredAt ?? '')}</p>`
    : '<p>正在处理中，我们将在 10 个工作日内答复。</p>';
  return page(
    `举报 ${status.code}`,
    `<h1>举报 ${escapeHtml(status.code)}</h1>
<p>收到时间：${escapeHtml(status.receivedAt)}</p>
<p>处理状态：<span class="status" id="tip-status">${escapeHtml(status.statusLabel)}</span></p>
${answer}`,
  );
}

export function tipNotFoundPage(): string {
  return page('没有找到', '<h1>没有找到这条举报</h1><p>请核对查询链接是否完整。</p>');
}

/** Past a rate limit: nothing was stored; when to try again. */
export function tipTooManyPage(message: string): string {
  return page(
    '提交过于频繁',
    `<h1>提交过于频繁</h1><p class="alert" role="alert">${escapeHtml(message)}</p><p>本次提交没有保存。如情况紧急，请直接拨打当地应急管理部门电话。</p><p><a href="/tip">返回举报页</a></p>`,
  );
}
