/**
 * 举报二维码 posters: a township's and a unit's, as PDF and PNG, each read back as a person would — the PDF's text
 * (pdftotext) and both QR codes scanned (jsQR over the PNG, and over the PDF rendered by pdftoppm) to the tip page of
 * that place under PUBLIC_URL.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_DIRECTORY } from '../fixtures/ledger.js';
import { readPdf } from '../support/pdf.js';
import { startTestService, type TestService } from '../support/service.js';

const ADMIN = 'tip-poster-test-admin-token-0123456789';

// jsQR is CommonJS whose `module.exports` is the function (its types say `export default`).
const jsQR = createRequire(import.meta.url)('jsqr') as typeof import('jsqr').default;

/** The text a phone's camera reads from the QR code in this PNG. */
function scan(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
}

function pdfPageAsPng(pdf: Buffer): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'poster-'));
  try {
    writeFileSync(path.join(dir, 'p.pdf'), pdf);
    execFileSync('pdftoppm', ['-png', '-r', '100', '-singlefile', path.join(dir, 'p.pdf'), path.join(dir, 'p')]);
    return readFileSync(path.join(dir, 'p.png'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('tip posters (GET /api/admin/tips/qr)', () => {
  let service: TestService;
  const get = (query: string, token: string | null = ADMIN) =>
    fetch(`${service.url}/api/admin/tips/qr${query}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  beforeAll(async () => {
    service = await startTestService({ ADMIN_TOKEN: ADMIN, COUNTY_NAME: '示例县' }, { web: true });
    const imported = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(LEDGER_DIRECTORY),
    });
    expect(imported.status, await imported.text()).toBe(200);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("prints a township's poster whose code opens that township's tip form", async () => {
    const town = LEDGER_DIRECTORY.regions[0]!;
    const response = await get(`?region=${town.code}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toContain(encodeURIComponent(`举报二维码-${town.name}.pdf`));
    const pdf = Buffer.from(await response.arrayBuffer());
    const read = readPdf(pdf);
    expect(read.pages).toBe(1);
    for (const text of ['安全生产隐患举报', `示例县·${town.name}`, '可以匿名举报', '12350']) {
      expect(read.flat).toContain(text);
    }
    const url = `${service.config.PUBLIC_URL}/tip?region=${town.code}`;
    expect(read.flat).toContain(url);
    expect(scan(pdfPageAsPng(pdf))).toBe(url);
  });

  it("a unit's poster as PNG, for its gate or a group chat", async () => {
    const unit = LEDGER_DIRECTORY.enterprises[0]!;
    const response = await get(`?unit=${unit.code}&format=png`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await response.arrayBuffer());
    const image = PNG.sync.read(png);
    expect([image.width, image.height]).toEqual([1240, 1754]);
    expect(scan(png)).toBe(`${service.config.PUBLIC_URL}/tip?unit=${unit.code}`);
  });

  it('says what is wrong with a bad request, and needs the admin token', async () => {
    const cases: [string, number, string][] = [
      ['', 400, 'place_required'],
      ['?region=town-01&unit=e001', 400, 'place_required'],
      ['?region=', 400, 'place_required'],
      ['?region=town-99', 404, 'unknown_place'],
      ['?unit=nope', 404, 'unknown_place'],
      ['?region=town-01&format=gif', 400, 'invalid_format'],
    ];
    for (const [query, status, code] of cases) {
      const response = await get(query);
      expect(response.status, query).toBe(status);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code, query).toBe(code);
      expect(body.error.message).toMatch(/[\u4e00-\u9fff]/);
    }
    expect((await get('?region=town-01', null)).status).toBe(401);
  });
});

describe('tip posters without PUBLIC_URL', () => {
  it('refuses with what to set, rather than print a code that opens nothing', async () => {
    const service = await startTestService({ ADMIN_TOKEN: ADMIN });
    try {
      const response = await fetch(`${service.url}/api/admin/tips/qr?region=town-01`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(response.status).toBe(409);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('public_url_unset');
    } finally {
      await service.stop();
    }
  });
});
