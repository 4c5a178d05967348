import { describe, expect, it } from 'vitest';
import { escapeHtml, html, jsonScript, queryString, raw } from '../../src/web/pages/html.js';

describe('the html tag', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const name = '<script>alert("x")</script>';
    const attribute = `" onmouseover='alert(1)' x="`;
    const out = html`<p title="${attribute}">${name}</p>`.text;
    expect(out).toBe(
      '<p title="&quot; onmouseover=&#39;alert(1)&#39; x=&quot;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>',
    );
    expect(out).not.toContain('<script');
    expect(escapeHtml('a & b `c`')).toBe('a &amp; b &#96;c&#96;');
  });

  it('keeps nested templates and raw markup, joins arrays, and prints nothing for null, undefined and false', () => {
    const items = ['<b>', 'c&d'].map((s) => html`<li>${s}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.text).toBe(
      '<ul><li>&lt;b&gt;</li><li>c&amp;d</li></ul>0',
    );
    expect(html`${raw('<br>')}`.text).toBe('<br>');
  });

  it('embeds JSON that no value can break out of', () => {
    const out = jsonScript('data', { name: '</script><script>alert(1)</script>', amp: '&', ls: '\u2028' }).text;
    expect(out.match(/<\/script>/g)).toHaveLength(1);
    expect(out).toContain('\\u003c/script\\u003e');
    const inner = out.slice(out.indexOf('>') + 1, out.lastIndexOf('</script>'));
    expect(JSON.parse(inner)).toEqual({ name: '</script><script>alert(1)</script>', amp: '&', ls: '\u2028' });
    expect(out).toMatch(/^<script type="application\/json" id="data">/);
  });

  it('builds query strings without empty values', () => {
    expect(queryString({ township: 'town-01', sector: '', status: undefined, grade: ['a', 'b'] })).toBe(
      '?township=town-01&grade=a&grade=b',
    );
    expect(queryString({})).toBe('');
  });
});
