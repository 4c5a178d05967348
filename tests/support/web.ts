/**
 * The web view's tests: a county with a hostile unit name, the ledger fixture's hazards with real photos and a
 * document (the login itself: web-login.ts).
 */
import { deflateSync } from 'node:zlib';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { hazardPhotos, people } from '../../src/db/schema/index.js';
import { saveDocument } from '../../src/hazards/documents/store.js';
import { code, LEDGER_DIRECTORY, seedHazards } from '../fixtures/ledger.js';
import type { TestService } from './service.js';

export const WEB_ADMIN = 'web-test-admin-token-0123456789';
export const WEB_READER = 'web-test-reader-token-0123456789';
/** A unit name that would run as script if any page printed it unescaped. */
export const HOSTILE_NAME = '<script>alert(1)</script><img src=x onerror=alert(2)>城关化工';

/** A solid-colour PNG of `width` × `height`: a real image a browser decodes (naturalWidth > 0). */
export function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3).fill(Buffer.from(rgb))]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * The ledger fixture's county (城关镇 with 城关社区 below it, 白鹤镇) with e001 named HOSTILE_NAME, an inspection
 * plan of 应急局 (three of the four units), its seven hazards,
 * a real before-photo on hazard 1 and 4, an after-photo on hazard 2, and a PDF on hazard 1. Answers hazard ids by code.
 */
export async function seedWebCounty(service: TestService): Promise<Map<string, number>> {
  for (const p of LEDGER_DIRECTORY.people) service.sim.addUser({ openId: p.openId, name: p.name });
  const directory = structuredClone(LEDGER_DIRECTORY);
  directory.enterprises[0]!.name = HOSTILE_NAME;
  const imported = await fetch(`${service.url}/api/admin/directory`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${WEB_ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(directory),
  });
  expect(imported.status, await imported.text()).toBe(200);
  const plans = await fetch(`${service.url}/api/admin/plans`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${WEB_ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      plans: [
        {
          code: 'yjj-quarterly',
          name: '应急局工贸和危化企业季度检查',
          owner: 'department:yjj',
          from: '2026-01-01',
          to: '2026-12-31',
          every: 'quarter',
          units: { sectors: ['工贸', '危险化学品'] },
        },
      ],
    }),
  });
  expect(plans.status, await plans.text()).toBe(200);
  const db = service.deps.database.db;
  const ids = await seedHazards(db);
  // The fixture's photo is a few bytes that are no image: a browser would show it broken.
  await db.delete(hazardPhotos).where(eq(hazardPhotos.sourceImageKey, 'img_1'));
  const [inspector] = await db.select({ id: people.id }).from(people).limit(1);
  const photo = (hazard: number, stage: 'report' | 'rectification', content: Buffer) => ({
    hazardId: ids.get(code(hazard))!,
    stage,
    uploadedById: inspector!.id,
    content,
    contentType: 'image/png',
    size: content.length,
    sha256: `sha-${hazard}-${stage}`,
    sourceMessageId: `om_web_${hazard}_${stage}`,
    sourceImageKey: `img_web_${hazard}_${stage}`,
    createdAt: new Date('2026-05-01T01:00:00Z'),
  });
  await db
    .insert(hazardPhotos)
    .values([
      photo(1, 'report', png(160, 120, [217, 48, 38])),
      photo(2, 'rectification', png(160, 120, [46, 158, 91])),
      photo(4, 'report', png(40, 30, [51, 112, 255])),
    ]);
  await saveDocument(db, {
    hazardId: ids.get(code(1))!,
    name: 'notice',
    title: '隐患整改通知书',
    fileName: `隐患整改通知书-${code(1)}.pdf`,
    content: Buffer.from('%PDF-1.4\n%fake\n'),
    now: new Date('2026-04-01T02:00:00Z'),
  });
  return ids;
}
