/**
 * 查看详情: the web view's pages (src/web) opened from a card. The address is a deployment setting (PUBLIC_URL, or the
 * sandbox's own address), carried in the deps like the calendar and set once in server.ts; without it the cards
 * carry no link at all (a button to nowhere is worse than none).
 */

/** Where the web view is served; undefined = no web view, so no links on cards. */
export type CardLinks = { publicUrl: string } | undefined;

/** The web view's settings as the cards need them (server.ts: `deps.web`). */
export const cardLinksOf = (web: { publicUrl: string } | undefined): CardLinks =>
  web ? { publicUrl: web.publicUrl.replace(/\/+$/, '') } : undefined;

/** `<publicUrl>/web/hazards/<code>`: the hazard's page. */
export function hazardPageUrl(links: CardLinks, code: string): string | undefined {
  return links ? `${links.publicUrl}/web/hazards/${encodeURIComponent(code)}` : undefined;
}

/** `<publicUrl>/web/`: the overview of the reader's scope. */
export function overviewUrl(links: CardLinks): string | undefined {
  return links ? `${links.publicUrl}/web/` : undefined;
}

export const DETAIL_LABEL = '查看详情';

/** The open_url behaviour (feishu-web-groups-sms.md §2): the same page on every client. */
export function openUrl(url: string, options: { compact?: boolean } = {}): object {
  // default_url is what every client falls back to; naming it per platform too costs ~200 bytes a card, which the
  // sweep's reminder cards (hundreds of thousands in a catch-up) do without.
  return options.compact
    ? { type: 'open_url', default_url: url }
    : { type: 'open_url', default_url: url, pc_url: url, ios_url: url, android_url: url };
}

/** A JSON 2.0 button opening `url`. */
export function openUrlButton(url: string, options: { text?: string; type?: string; compact?: boolean } = {}): object {
  return {
    tag: 'button',
    text: { tag: 'plain_text', content: options.text ?? DETAIL_LABEL },
    type: options.type ?? 'default',
    behaviors: [openUrl(url, options)],
  };
}
