/**
 * The frame of every page: who is looking and what they see (describeScope), the two places to go, and 退出登录 (a
 * POST with the CSRF token). Styles and scripts come from /web/static only: the CSP allows nothing inline.
 */
import type { FastifyReply } from 'fastify';
import type { Db } from '../../db/client.js';
import { describeScope, type Viewer } from '../../ledger/scope.js';
import { type Html, html } from './html.js';

export const STATIC_PREFIX = '/web/static/';
export const ECHARTS_PATH = '/web/vendor/echarts.min.js';

export interface Frame {
  viewer: Viewer;
  scopeName: string;
  csrfToken: string;
}

/** What the frame needs: the scope's name and a CSRF token for the logout form. */
export async function frameOf(db: Db, viewer: Viewer, reply: FastifyReply): Promise<Frame> {
  // @fastify/csrf-protection decorates the reply (registered by the web module with the session); without it there is
  // no session to protect and the form's token is empty.
  const csrf = reply as unknown as { generateCsrf?: () => string | Promise<string> };
  const csrfToken = typeof csrf.generateCsrf === 'function' ? await csrf.generateCsrf() : '';
  return { viewer, scopeName: await describeScope(db, viewer.scope), csrfToken };
}

export function layout(input: {
  frame: Frame;
  title: string;
  current: 'overview' | 'hazards' | 'hazard';
  body: Html;
  /** Module scripts under /web/static (or the vendored ECharts), in order. */
  scripts?: string[];
  /** Classic scripts (ECharts' UMD build), loaded before the modules. */
  classicScripts?: string[];
}): Html {
  const { frame, title, current } = input;
  const link = (href: string, label: string, key: typeof current) =>
    html`<a href="${href}"${key === current ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · 隐患排查治理</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STATIC_PREFIX}web.css">
${(input.classicScripts ?? []).map((src) => html`<script src="${src}" defer></script>\n`)}${(input.scripts ?? []).map((src) => html`<script type="module" src="${src}"></script>\n`)}</head>
<body>
<header class="top">
  <div class="brand">隐患排查治理</div>
  <nav>${link('/web/', '总览', 'overview')}${link('/web/hazards', '隐患清单', 'hazards')}</nav>
  <div class="who">
    <span class="name">${frame.viewer.name}</span>
    <span class="scope" title="可查看范围">${frame.scopeName}</span>
    <form method="post" action="/auth/logout" class="logout">
      <input type="hidden" name="_csrf" value="${frame.csrfToken}">
      <button type="submit">退出登录</button>
    </form>
  </div>
</header>
<main>
${input.body}
</main>
</body>
</html>
`;
}
