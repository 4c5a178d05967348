import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FeishuSim, startFeishuSim } from '../../src/dev/feishu-sim/index.js';
import { createFreshPostgresDatabase } from '../support/db.js';
import { killLeftoverServices, type RunningProcess, spawnService, waitUntilReady } from '../support/process.js';
import { eventually } from '../support/service.js';

/**
 * The service is killed with SIGKILL while it is sending, then restarted on the same database: every message must
 * arrive, and none twice (Feishu drops a repeated uuid; the simulator does the same).
 */
describe('outbox across a kill -9', () => {
  let sim: FeishuSim;
  let env: Record<string, string>;
  let cleanup: () => Promise<void> = async () => {};
  const USERS = 40;

  beforeAll(async () => {
    sim = await startFeishuSim();
    for (let i = 0; i < USERS; i++) sim.addUser({ openId: `ou_crash_${i}`, name: `用户${i}` });
    env = {
      FEISHU_APP_ID: sim.appId,
      FEISHU_APP_SECRET: sim.appSecret,
      FEISHU_BASE_URL: sim.url,
      FEISHU_VERIFICATION_TOKEN: sim.verificationToken,
    };
    if (process.env.TEST_DATABASE_URL) {
      const fresh = await createFreshPostgresDatabase(process.env.TEST_DATABASE_URL);
      env.DATABASE_URL = fresh.url;
      cleanup = fresh.drop;
    } else {
      const dir = mkdtempSync(path.join(tmpdir(), 'hazard-bot-crash-'));
      env.DATA_DIR = dir;
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
  });
  afterAll(async () => {
    await killLeftoverServices();
    await sim.close();
    await cleanup();
  });

  it('delivers every message exactly once after the sender is killed mid-way', async () => {
    let proc: RunningProcess = await spawnService(env);
    await waitUntilReady(proc);
    sim.setBotUrl(`${proc.url}/feishu/events`);
    // Slow replies so that the kill lands while messages are in flight.
    sim.faults.latency('message.reply', 150);
    for (let i = 0; i < USERS; i++) {
      const delivery = await sim.sendText(`ou_crash_${i}`, '帮助');
      expect(delivery.status).toBe(200);
    }
    await eventually(() => sim.messages().length >= 5, 20_000, 'the first replies');
    proc.child.kill('SIGKILL');
    await proc.exited;
    const beforeRestart = sim.messages().length;
    expect(beforeRestart).toBeLessThan(USERS);

    proc = await spawnService({ ...env, PORT: new URL(proc.url).port });
    await waitUntilReady(proc);
    sim.faults.clear();
    await eventually(() => sim.messages().length >= USERS, 60_000, `all ${USERS} replies`);
    await new Promise((r) => setTimeout(r, 1000));
    const replies = sim.messages();
    expect(replies).toHaveLength(USERS);
    expect(new Set(replies.map((m) => m.recipientOpenId ?? m.chatId)).size).toBe(USERS);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  }, 120_000);
});
