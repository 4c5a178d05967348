import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeishuSim, startFeishuSim } from '../../src/dev/feishu-sim/index.js';
import { createFeishuClient, type FeishuClient } from '../../src/feishu/client.js';
import { FeishuApiError } from '../../src/feishu/errors.js';

// A 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe('the Feishu client (the SDK wrapped once) against the simulator', () => {
  let sim: FeishuSim;
  let client: FeishuClient;
  let bot: Server;
  beforeAll(async () => {
    sim = await startFeishuSim();
    // A bot endpoint that acknowledges whatever "Feishu" delivers (the user's image message here).
    bot = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
    const address = bot.address();
    sim.setBotUrl(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/feishu/events`);
    client = createFeishuClient({ appId: sim.appId, appSecret: sim.appSecret, baseUrl: sim.url, timeoutMs: 2000 });
    for (let i = 0; i < 120; i++)
      sim.addUser({ openId: `ou_c_${i}`, name: `用户${i}`, mobile: `1390000${String(i).padStart(4, '0')}` });
  });
  afterAll(async () => {
    await sim.close();
    bot.close();
  });

  it('resolves mobiles to open_ids 50 per call, leaving unknown ones out', async () => {
    const mobiles = [...Array.from({ length: 120 }, (_, i) => `1390000${String(i).padStart(4, '0')}`), '13999999999'];
    const before = sim.calls.filter((c) => c.api === 'contact.batch_get_id').length;
    const { byMobile } = await client.resolveUserIds({ mobiles });
    expect(byMobile.size).toBe(120);
    expect(byMobile.get('13900000007')).toBe('ou_c_7');
    expect(byMobile.has('13999999999')).toBe(false);
    expect(sim.calls.filter((c) => c.api === 'contact.batch_get_id').length - before).toBe(3);
  });

  it('uploads an image and a file, and downloads a photo a user sent', async () => {
    const imageKey = await client.uploadImage(PNG);
    expect(sim.image(imageKey)?.equals(PNG)).toBe(true);
    const fileKey = await client.uploadFile({ file: Buffer.from('台账'), fileName: '台账.xlsx', fileType: 'xls' });
    expect(sim.file(fileKey)?.toString()).toBe('台账');

    const sent = await sim.sendImage('ou_c_1', PNG);
    const userMessage = sent?.messageId ? sim.message(sent.messageId) : undefined;
    const key = (userMessage?.content as { image_key?: string } | undefined)?.image_key;
    expect(key).toBeTruthy();
    const photo = await client.downloadResource({ messageId: sent!.messageId!, fileKey: key!, type: 'image' });
    expect(photo.data.equals(PNG)).toBe(true);
  });

  it('refreshes an invalidated tenant token once and carries on', async () => {
    await client.sendMessage({
      receiveIdType: 'open_id',
      receiveId: 'ou_c_2',
      msgType: 'text',
      content: { text: 'a' },
    });
    sim.invalidateTokens();
    const tokensBefore = sim.calls.filter((c) => c.api === 'token').length;
    const sent = await client.sendMessage({
      receiveIdType: 'open_id',
      receiveId: 'ou_c_2',
      msgType: 'text',
      content: { text: 'b' },
    });
    expect(sent.messageId).toMatch(/^om_/);
    expect(sim.calls.filter((c) => c.api === 'token').length).toBe(tokensBefore + 1);
  });

  it('sends the same uuid once, and buzzes its own message', async () => {
    const first = await client.sendMessage({
      receiveIdType: 'open_id',
      receiveId: 'ou_c_3',
      msgType: 'text',
      content: { text: 'x' },
      uuid: 'u-1',
    });
    const again = await client.sendMessage({
      receiveIdType: 'open_id',
      receiveId: 'ou_c_3',
      msgType: 'text',
      content: { text: 'x' },
      uuid: 'u-1',
    });
    expect(again.messageId).toBe(first.messageId);
    const { invalidOpenIds } = await client.urgentApp({ messageId: first.messageId, openIds: ['ou_c_3'] });
    expect(invalidOpenIds).toEqual([]);
    expect(sim.message(first.messageId)?.urgents).toHaveLength(1);
  });

  it('turns Feishu errors into typed errors', async () => {
    const error = await client
      .sendMessage({ receiveIdType: 'open_id', receiveId: 'ou_nobody', msgType: 'text', content: { text: 'x' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeishuApiError);
    expect(error).toMatchObject({ kind: 'permanent', code: 230013 });
    sim.faults.failNext('message.create', { times: 1, status: 503 });
    const transient = await client
      .sendMessage({ receiveIdType: 'open_id', receiveId: 'ou_c_4', msgType: 'text', content: { text: 'x' } })
      .catch((e: unknown) => e);
    expect(transient).toMatchObject({ kind: 'transient', httpStatus: 503 });
    sim.faults.rateLimitBurst('message.create', 1);
    const limited = await client
      .sendMessage({ receiveIdType: 'open_id', receiveId: 'ou_c_4', msgType: 'text', content: { text: 'x' } })
      .catch((e: unknown) => e);
    expect(limited).toMatchObject({ kind: 'rate_limited' });
    expect((limited as FeishuApiError).retryAfterMs).toBeGreaterThan(0);
  });
});
