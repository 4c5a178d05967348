import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sampleReportForm } from '../../src/dev/sample-county.js';
import { killLeftoverServices, type RunningProcess, spawnService, waitUntilReady } from '../support/process.js';

// biome-ignore lint/suspicious/noExplicitAny: cards and control-API answers are read from their JSON.
type Json = any;

const ADMIN_TOKEN = 'sandbox-admin-token-0123456789';

/** The simulator's address, from the start-up log (it listens next to the service's port, or anywhere free). */
function simulatorUrl(proc: RunningProcess): string {
  const match = /"simulator":"(http:\/\/[^"]+)"/.exec(proc.output());
  if (!match?.[1]) throw new Error(`no simulator address in the log:\n${proc.output()}`);
  return match[1];
}

/** Polls until `find` returns something: the bot sends through its outbox, a moment after it answers. */
async function eventually<T>(find: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const found = await find();
    if (found !== undefined) return found;
    await sleep(50);
  }
  throw new Error(`never saw ${what}`);
}

function buttons(card: Json): Json[] {
  const found: Json[] = [];
  const walk = (list: Json[] | undefined) => {
    for (const element of list ?? []) {
      if (element.tag === 'button') found.push(element);
      walk(element.elements);
      for (const column of element.columns ?? []) walk(column.elements);
    }
  };
  walk(card?.body?.elements);
  return found;
}

describe('sandbox mode (no Feishu credentials) on an empty database', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hazard-bot-sandbox-'));
  afterEach(killLeftoverServices);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('loads the sample county, plays a report through the control API, and loads it only once', async () => {
    // No HOST: in sandbox mode the service listens on this machine only.
    const first = await spawnService({ DATA_DIR: dataDir, ADMIN_TOKEN, HOST: undefined });
    await waitUntilReady(first, 90_000);
    // The log arrives through a pipe, which may lag behind the HTTP answer that said "ready".
    await eventually(
      async () => (first.output().includes('沙箱模式') ? true : undefined),
      'the sandbox lines of the log',
    );
    expect(first.output()).toContain('名录为空，已导入示例县：2 个乡镇、2 个部门、3 家企业、10 人');
    expect(first.output()).toMatch(/listening at http:\/\/127\.0\.0\.1:\d+/);
    expect(first.output()).not.toContain('0.0.0.0');
    // The simulator's Verification Token is new at each start: the one written in the source opens nothing.
    const forged = await fetch(`${first.url}/feishu/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        schema: '2.0',
        header: {
          event_id: 'evt-forged',
          event_type: 'im.message.receive_v1',
          create_time: String(Date.now()),
          token: 'sim-verification-token',
          app_id: 'cli_a0b1c2d3e4f5a6b7',
        },
        event: {},
      }),
    });
    expect(forged.status).toBe(401);
    const sim = simulatorUrl(first);
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

    const directory: Json = await (await fetch(`${first.url}/api/admin/directory`, { headers: admin })).json();
    expect(directory.regions.map((r: Json) => r.name)).toEqual(['示例县', '城关镇', '白鹤镇']);
    expect(directory.enterprises.map((e: Json) => e.name)).toEqual(['城关化工有限公司', '白鹤机械厂', '城关供热站']);
    expect(directory.people.find((p: Json) => p.code === 'wang')).toMatchObject({
      openId: 'ou_wang',
      roles: [{ role: 'inspector', scope: 'county' }],
    });

    const control = async (route: string, body?: unknown): Promise<Json> => {
      const response = await fetch(`${sim}/__sim${route}`, body ? { method: 'POST', body: JSON.stringify(body) } : {});
      expect(response.status, route).toBe(200);
      return response.json();
    };
    const cardTo = (openId: string, title: string) =>
      eventually(
        async () =>
          ((await control(`/messages?to=${openId}&msgType=interactive`)) as Json[])
            .filter((m) => JSON.stringify(m.content.header ?? {}).includes(title))
            .at(-1),
        `a card “${title}” to ${openId}`,
      );

    // As in the simulator's README: send a text, submit the form, click a button.
    await control('/text', { from: 'ou_wang', text: '上报' });
    const form = await cardTo('ou_wang', '上报安全隐患');
    const submit = buttons(form.content).find((b) => b.form_action_type === 'submit');
    const deadline = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const submitted = await control('/card', {
      from: 'ou_wang',
      messageId: form.messageId,
      name: submit.name,
      value: submit.behaviors[0].value,
      formValue: sampleReportForm(deadline),
    });
    expect(submitted.status).toBe(200);
    const code = /YH-\d{4}-\d{6}/.exec(submitted.body.toast.content)?.[0];
    expect(code).toBeDefined();

    const notice = await cardTo('ou_zhao', code!);
    const acknowledge = buttons(notice.content).find((b) => b.text.content === '确认接收');
    const clicked = await control('/card', {
      from: 'ou_zhao',
      messageId: notice.messageId,
      value: acknowledge.behaviors[0].value,
    });
    expect(clicked.body.toast).toMatchObject({ type: 'success', content: expect.stringContaining('已确认接收') });

    // The ledger the bot sends as a file can be downloaded from the simulator.
    await control('/text', { from: 'ou_wang', text: '台账' });
    // (The report's rectification notice, a PDF, is a file the bot uploaded too.)
    const file = await eventually(async () => {
      const files = (await control('/files')) as Json[];
      return files.find((f) => String(f.fileName).startsWith('隐患台账'));
    }, 'the ledger file');
    expect(file.fileName).toMatch(/^隐患台账.*\.xlsx$/);
    const download = await fetch(`${sim}/__sim/files/${file.fileKey}`);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(file.size);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // A restart finds the directory (and the hazard) in place: nothing is imported again, and the sample people are
    // users of the new simulator, so they can go on acting.
    const second = await spawnService({ DATA_DIR: dataDir, ADMIN_TOKEN });
    await waitUntilReady(second, 90_000);
    await eventually(
      async () => (second.output().includes('沙箱模式') ? true : undefined),
      'the sandbox lines of the log',
    );
    expect(second.output()).not.toContain('已导入示例县');
    const again: Json = await (
      await fetch(`${second.url}/api/hazards/${code}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json();
    expect(again.code).toBe(code);
    const users: Json = await (await fetch(`${simulatorUrl(second)}/__sim`)).json();
    expect(users.users.map((u: Json) => u.openId)).toContain('ou_zhao');
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 240_000);
});
