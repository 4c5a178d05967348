/**
 * The simulator's group APIs (专班群), called through the real SDK as the bot calls them: create (uuid makes one chat),
 * add members (succeed_type, invalid/not-existed lists), rename, pin — and the platform's error codes for bad cases
 * (shared/docs/feishu-web-groups-sms.md §3–4).
 */
import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeishuSim, startFeishuSim } from '../../src/dev/feishu-sim/index.js';
import { createFeishuClient, type FeishuClient } from '../../src/feishu/client.js';
import { FeishuApiError } from '../../src/feishu/errors.js';

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

describe('the simulator’s group chats', () => {
  let sim: FeishuSim;
  let client: FeishuClient;
  let sdk: lark.Client;
  beforeAll(async () => {
    sim = await startFeishuSim();
    client = createFeishuClient({ appId: sim.appId, appSecret: sim.appSecret, baseUrl: sim.url });
    sdk = new lark.Client({ appId: sim.appId, appSecret: sim.appSecret, domain: sim.url, logger: quiet });
    sim.addUser({ openId: 'ou_a', name: '甲' });
    sim.addUser({ openId: 'ou_b', name: '乙' });
  });
  afterAll(async () => {
    await sim.close();
  });

  /** The business code of a call that must fail. */
  const codeOf = async (call: Promise<unknown>) => {
    try {
      await call;
    } catch (error) {
      if (error instanceof FeishuApiError) return error.code;
      const data = (error as { response?: { data?: { code?: number } } }).response?.data;
      if (data?.code !== undefined) return data.code;
      throw error;
    }
    throw new Error('the call succeeded');
  };

  it('creates a chat owned by the bot, once per uuid, and adds members by open_id', async () => {
    const first = await client.createChat({ name: '【重大隐患】YH-2026-000001 甲公司', uuid: 'u-1' });
    const again = await client.createChat({ name: '【重大隐患】YH-2026-000001 甲公司', uuid: 'u-1' });
    expect(again.chatId).toBe(first.chatId);
    const other = await client.createChat({ name: '另一个群', uuid: 'u-2' });
    expect(other.chatId).not.toBe(first.chatId);
    const chat = sim.chats().find((c) => c.chatId === first.chatId)!;
    expect(chat).toMatchObject({ createdByBot: true, botIsMember: true, memberOpenIds: [] });

    const added = await client.addChatMembers({ chatId: first.chatId, openIds: ['ou_a', 'ou_nobody', 'ou_b'] });
    expect(added).toEqual({ invalid: [], notExisted: ['ou_nobody'], pending: [] });
    expect(chat.memberOpenIds).toEqual(['ou_a', 'ou_b']);

    await client.renameChat({ chatId: first.chatId, name: '【重大隐患·已销号】YH-2026-000001 甲公司' });
    expect(chat.name).toBe('【重大隐患·已销号】YH-2026-000001 甲公司');

    const sent = await client.sendMessage({
      receiveIdType: 'chat_id',
      receiveId: first.chatId,
      msgType: 'text',
      content: { text: '卡片' },
    });
    await client.pinMessage(sent.messageId);
    await client.pinMessage(sent.messageId); // pinning again answers the existing pin
    expect(chat.pinnedMessageIds).toEqual([sent.messageId]);
    // The control API shows the same, for a person driving the sandbox by hand.
    const listed = (await (await fetch(`${sim.url}/__sim/chats`)).json()) as { chatId: string }[];
    expect(listed.find((c) => c.chatId === first.chatId)).toMatchObject({
      name: '【重大隐患·已销号】YH-2026-000001 甲公司',
      memberOpenIds: ['ou_a', 'ou_b'],
      pinnedMessageIds: [sent.messageId],
    });
  });

  it('answers the real error codes for bad cases', async () => {
    const { chatId } = await client.createChat({ name: '错误', uuid: 'u-3' });
    // Creating with user_id_list naming an unknown user: 232043 invalid ids.
    const create = (ids: string[]) =>
      sdk.im.v1.chat.create({
        params: { user_id_type: 'open_id', uuid: 'u-4' },
        data: { name: 'x', user_id_list: ids },
      });
    expect(await codeOf(create(['ou_a', 'ou_nobody']))).toBe(232043);
    // Adding: an unknown chat 232006; only unknown ids 232027; unknown ids without succeed_type 1 99992351.
    expect(await codeOf(client.addChatMembers({ chatId: 'oc_missing', openIds: ['ou_a'] }))).toBe(232006);
    expect(await codeOf(client.addChatMembers({ chatId, openIds: ['ou_nobody'] }))).toBe(232027);
    const strict = sdk.im.v1.chatMembers.create({
      path: { chat_id: chatId },
      params: { member_id_type: 'open_id', succeed_type: 0 },
      data: { id_list: ['ou_a', 'ou_nobody'] },
    });
    expect(await codeOf(strict)).toBe(99992351);
    expect(
      await codeOf(client.addChatMembers({ chatId, openIds: Array.from({ length: 51 }, (_, i) => `ou_${i}`) })),
    ).toBe(232001);
    // Renaming a chat the bot did not make (a plain member): 232016; one it is not in: 232011.
    sim.addChat({ chatId: 'oc_someone_elses', name: '别人的群', memberOpenIds: ['ou_a'] });
    expect(await codeOf(client.renameChat({ chatId: 'oc_someone_elses', name: '改名' }))).toBe(232016);
    sim.setBotInChat(chatId, false);
    expect(await codeOf(client.renameChat({ chatId, name: '改名' }))).toBe(232011);
    expect(await codeOf(client.addChatMembers({ chatId, openIds: ['ou_a'] }))).toBe(232011);
    // Pinning a message that does not exist: 230001.
    expect(await codeOf(client.pinMessage('om_missing'))).toBe(230001);
    // Faults can be injected on these APIs like any other.
    sim.faults.failNext('chat.create', { status: 500, code: 500 });
    expect(await codeOf(client.createChat({ name: 'y', uuid: 'u-5' }))).toBe(500);
  });
});
