/**
 * HTML by template literal with every value escaped: `html` escapes each interpolated value unless it is already
 * `Html` (a nested template or `raw`), arrays are joined, null/undefined/false print nothing. No page builds markup
 * any other way, so a unit named `<script>` is text on every page.
 */

/** Markup that is already safe: produced by `html` or vouched for with `raw`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text as HTML text or attribute value (quoted attributes only). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Markup from a trusted constant (never from data). */
export function raw(text: string): Html {
  return new Html(text);
}

/**
 * Data for a module script, as `<script type="application/json">` (not executed, so a strict CSP allows it). `<`,
 * `>`, `&` and the two line separators are written as \u escapes: no `</script>` or `<!--` can end the element early.
 */
export function jsonScript(id: string, data: unknown): Html {
  const text = JSON.stringify(data).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return html`<script type="application/json" id="${id}">${raw(text)}</script>`;
}

/** A query string from parameters (empty values left out), with its leading `?` when not empty. */
export function queryString(params: Record<string, string | string[] | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined && v !== '') search.append(key, v);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
