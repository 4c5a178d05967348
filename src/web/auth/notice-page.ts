/** The few plain pages of login itself (refused, not in the directory, signed out): no script, escaped text. */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface Notice {
  title: string;
  /** Paragraphs of plain text (escaped here). */
  lines: string[];
  /** A link to try again, e.g. 重新登录. */
  action?: { href: string; text: string };
}

export function noticePage({ title, lines, action }: Notice): string {
  const body = lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('');
  const link = action
    ? `<p><a class="button" href="${escapeHtml(action.href)}">${escapeHtml(action.text)}</a></p>`
    : '';
  return (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)} · 隐患闭环</title><link rel="stylesheet" href="/web/static/notice.css"></head>` +
    `<body><main class="notice"><h1>${escapeHtml(title)}</h1>${body}${link}</main></body></html>`
  );
}
