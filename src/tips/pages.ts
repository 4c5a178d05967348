/**
 * The public pages of 群众举报, as plain HTML that works on any phone without JavaScript: the form (GET /tip), the
 * receipt after sending (the code and the private link), and the tracking page (GET /tip/:code?key=). Every value is
 * escaped; the pages carry no script and no inline style (a strict CSP, set by the route, forbids both). Pure.
 */
import { TIP_LIMITS } from './input.js';
import type { TipPublicStatus } from './view.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
</head>
<body>
${body}
</body>
</html>
`;
}

export interface TipFormPage {
  countyName: string;
  /** The townships to choose from, and the one chosen (a township's QR code). */
  regions: { code: string; name: string }[];
  region: string | null;
  /** The unit of a unit's QR code: its code (sent back) and name (shown). */
  unit: { code: string; name: string } | null;
  /** What was typed before a refused send, and what was wrong. */
  values?: Partial<Record<'what' | 'where' | 'unit' | 'name' | 'phone', string>>;
  error?: { field: string; message: string };
}

export function tipFormPage(input: TipFormPage): string {
  const v = input.values ?? {};
  const value = (field: keyof NonNullable<TipFormPage['values']>) =>
    v[field] ? ` value="${escapeHtml(v[field]!)}"` : '';
  const error = input.error
    ? `<p role="alert"><strong>提交未成功：${escapeHtml(input.error.message)}</strong>（照片需要重新选择）</p>`
    : '';
  const regionOptions = input.regions
    .map(
      (r) =>
        `<option value="${escapeHtml(r.code)}"${r.code === input.region ? ' selected' : ''}>${escapeHtml(r.name)}</option>`,
    )
    .join('');
  const unit = input.unit
    ? `<p>举报单位：${escapeHtml(input.unit.name)}</p><input type="hidden" name="unit" value="${escapeHtml(input.unit.code)}">`
    : `<p><label>涉及单位（选填）<br><input name="unit" maxlength="${TIP_LIMITS.unit}"${value('unit')}></label></p>`;
  return page(
    `${input.countyName}安全生产举报`,
    `<h1>${escapeHtml(input.countyName)}安全生产隐患举报</h1>
<p>发现安全隐患，请告诉我们。可以匿名举报；留下姓名电话的，我们严格保密，仅用于核实和答复。</p>
${error}
<form method="post" action="/tip" enctype="multipart/form-data">
<p><label>反映的问题（必填）<br><textarea name="what" rows="6" maxlength="${TIP_LIMITS.what}" required>${escapeHtml(v.what ?? '')}</textarea></label></p>
<p><label>地点（必填）<br><input name="where" maxlength="${TIP_LIMITS.where}" required${value('where')}></label></p>
${unit}
<p><label>所在乡镇<br><select name="region"><option value="">不清楚</option>${regionOptions}</select></label></p>
<p><label>照片（选填，最多 ${TIP_LIMITS.photos} 张，每张不超过 10 MB）<br><input type="file" name="photos" accept="image/jpeg,image/png,image/webp,image/heic" multiple></label></p>
<p><label>姓名（选填）<br><input name="name" maxlength="${TIP_LIMITS.name}" autocomplete="name"${value('name')}></label></p>
<p><label>电话（选填）<br><input name="phone" type="tel" maxlength="${TIP_LIMITS.phone}" autocomplete="tel"${value('phone')}></label></p>
<p><button type="submit">提交举报</button></p>
</form>`,
  );
}

export function tipReceiptPage(input: { code: string; trackingUrl: string }): string {
  return page(
    '举报已收到',
    `<h1>举报已收到</h1>
<p>您的举报编号：<strong>${escapeHtml(input.code)}</strong></p>
<p>请保存下面的查询链接（只有持有此链接的人能看到处理结果，请勿转发）：</p>
<p><a href="${escapeHtml(input.trackingUrl)}">${escapeHtml(input.trackingUrl)}</a></p>
<p>我们将在 10 个工作日内核查并答复。</p>`,
  );
}

export function tipStatusPage(status: TipPublicStatus): string {
  const answer = status.answer
    ? `<h2>答复</h2><p>${escapeHtml(status.answer)}</p><p>答复时间：${escapeHtml(status.answeredAt ?? '')}</p>`
    : '<p>正在处理中，我们将在 10 个工作日内答复。</p>';
  return page(
    `举报 ${status.code}`,
    `<h1>举报 ${escapeHtml(status.code)}</h1>
<p>收到时间：${escapeHtml(status.receivedAt)}</p>
<p>处理状态：<strong>${escapeHtml(status.statusLabel)}</strong></p>
${answer}`,
  );
}

export function tipNotFoundPage(): string {
  return page('没有找到', '<h1>没有找到这条举报</h1><p>请核对查询链接是否完整。</p>');
}
