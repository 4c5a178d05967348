// `npm run bench:inspect`: how fast 提交检查 on the checklist card of a 60-item checklist is answered, at a fixed
// rate (issue #20's bar: p99 ≤ 300 ms at 20 submits/s, PostgreSQL; PGlite printed beside it).
// The service runs as its own process; this process plays Feishu (the simulator). The 60-item checklist is imported
// through the admin API beside the default set. Then, through the real cards, 20 county inspectors each open the form
// once and start inspections one after another (a unit each, that checklist chosen), filling every page but the last
// with 下一页 — one item 不合格 and one 立查立改 among them, so each submit numbers the inspection, registers a closed
// hazard and queues a prefilled report form. Then the last pages are submitted evenly spaced without waiting for
// answers (open loop, see open-loop.ts), after a 3 s warm-up at the same rate; each click carries the last page's
// answers as Feishu sends them (that page's fields only).
// BENCH_DURATION=seconds (default 60 for PostgreSQL, BENCH_PGLITE_DURATION default 20); BENCH_ONLY=postgres|pglite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFeishuSim } from '../../src/dev/feishu-sim/index.js';
import { createFreshPostgresDatabase } from '../support/db.js';
import { spawnService, waitUntilReady } from '../support/process.js';
import { cpuSecondsOf, cpuSecondsOfPid, describeMachine, describePressure, readPressure } from './machine.js';
import { runOpenLoop } from './open-loop.js';

const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const RATE = 20;
const WARMUP = 3;
const INSPECTORS = 20;
const BAR_MS = 300;

// biome-ignore lint/suspicious/noExplicitAny: cards are read as JSON.
type Json = any;

/** 60 items of a realistic length (a 判定标准 article: 60–120 characters, its clause about 30). */
const ITEMS = Array.from({ length: 60 }, (_, i) => ({
  code: `${Math.floor(i / 10) + 1}.${(i % 10) + 1}`,
  text: `第${i + 1}项：${'锅炉、压力容器、压力管道、电梯、起重机械等特种设备未经定期检验或检验不合格仍继续使用，安全附件、安全保护装置失效，'.repeat(2)}`.slice(
    0,
    110,
  ),
  basis: `《特种设备重大事故隐患判定准则》第${i + 1}条`,
  major: i % 5 === 0,
}));
const FAILED = ITEMS[1]!.code;
const FIXED = ITEMS[2]!.code;
const answerOf = (code: string) => (code === FAILED ? 'fail' : code === FIXED ? 'fixed_on_site' : 'pass');

async function run(label: string, seconds: number, env: Record<string, string>) {
  const total = RATE * (WARMUP + seconds);
  const sim = await startFeishuSim();
  const people = Array.from({ length: INSPECTORS }, (_, i) => ({
    code: `insp${i}`,
    name: `检查员${i}`,
    openId: `ou_insp${i}`,
    roles: [{ role: 'inspector', scope: 'county' }],
  }));
  for (const p of people) sim.addUser({ openId: p.openId, name: p.name });
  const proc = await spawnService({
    ...env,
    LOG_LEVEL: 'warn',
    ADMIN_TOKEN,
    FEISHU_APP_ID: sim.appId,
    FEISHU_APP_SECRET: sim.appSecret,
    FEISHU_BASE_URL: sim.url,
    FEISHU_VERIFICATION_TOKEN: sim.verificationToken,
  });
  try {
    await waitUntilReady(proc, 60_000);
    sim.setBotUrl(`${proc.url}/feishu/events`);
    const directory = await fetch(`${proc.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        regions: [
          { code: 'county', name: '某县', parent: null },
          { code: 'town-01', name: '城关镇', parent: 'county' },
        ],
        departments: [{ code: 'scj', name: '县市场监管局', sectors: ['特种设备'] }],
        people: [...people, { code: 'boss', name: '负责人', openId: 'ou_boss', roles: [] }],
        enterprises: Array.from({ length: total }, (_, k) => ({
          code: `e${k}`,
          name: `第${k}号锅炉房`,
          region: 'town-01',
          sectors: ['特种设备'],
          department: 'scj',
          principal: 'boss',
        })),
      }),
    });
    if (directory.status !== 200) throw new Error(`directory import failed: ${await directory.text()}`);
    // The 60-item checklist joins the shipped default set (merge), as a county's own would.
    const imported = await fetch(`${proc.url}/api/admin/checklists?mode=merge`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        checklists: [
          {
            code: 'tz-60',
            name: '特种设备综合检查',
            sector: '特种设备',
            items: ITEMS.map(({ code, text, basis, major }) => ({ code, text, basis, major })),
          },
        ],
      }),
    });
    if (imported.status !== 200) throw new Error(`checklist import failed: ${await imported.text()}`);

    const waitFor = async <T>(fn: () => T | undefined, what: string): Promise<T> => {
      for (let i = 0; i < 1200; i++) {
        const value = fn();
        if (value) return value;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    const walk = (list: Json[]): Json[] => list.flatMap((e) => [e, ...walk(e.elements ?? [])]);
    const pageOf = (card: Json) => {
      const elements = walk(card.body.elements);
      const button = elements.find((e) => e.form_action_type === 'submit');
      const codes = elements.filter((e) => String(e.name).startsWith('item_')).map((e) => String(e.name).slice(5));
      return { value: button.behaviors[0].value, text: button.text.content as string, codes };
    };
    const formValueOf = (codes: string[]) => Object.fromEntries(codes.map((c) => [`item_${c}`, answerOf(c)]));

    // Preparation: every inspection started and filled in up to its last page, through the real cards.
    const prepared: { openId: string; messageId: string; chatId: string; value: Json; codes: string[] }[] = [];
    const preparing = Date.now();
    await Promise.all(
      people.map(async ({ openId }, i) => {
        await sim.sendText(openId, '检查');
        const form = await waitFor(
          () => sim.messages({ to: openId }).find((m) => m.content?.header?.title?.content === '开始检查'),
          'the inspection form',
        );
        for (let k = i; k < total; k += INSPECTORS) {
          const started = await sim.clickCard(openId, form.messageId, {
            value: { action: 'inspection.start' },
            formValue: { enterprise: `第${k}号锅炉房`, kind: 'routine', checklist: 'tz-60' },
          });
          let card = (started.body as Json)?.card?.data;
          if (!card) throw new Error(`start failed: ${JSON.stringify(started.body).slice(0, 300)}`);
          for (let page = pageOf(card); page.text === '下一页'; page = pageOf(card)) {
            const next = await sim.clickCard(openId, form.messageId, {
              value: page.value,
              formValue: formValueOf(page.codes),
            });
            card = (next.body as Json)?.card?.data;
            if (!card || (next.body as Json).toast.type !== 'info') {
              throw new Error(`下一页 failed: ${JSON.stringify(next.body).slice(0, 300)}`);
            }
          }
          const last = pageOf(card);
          prepared.push({
            openId,
            messageId: form.messageId,
            chatId: form.chatId,
            value: last.value,
            codes: last.codes,
          });
        }
      }),
    );
    console.log(
      `${label}: ${prepared.length} inspections of the 60-item checklist started and filled up to their last page ` +
        `through the cards in ${((Date.now() - preparing) / 1000).toFixed(1)} s`,
    );

    let n = 0;
    const body = () => {
      const target = prepared[n++ % prepared.length]!;
      return JSON.stringify({
        schema: '2.0',
        header: {
          event_id: `submit-${label}-${n}-${Date.now()}`,
          event_type: 'card.action.trigger',
          create_time: String(Date.now() * 1000),
          token: sim.verificationToken,
          app_id: sim.appId,
          tenant_key: 'bench',
        },
        event: {
          operator: { open_id: target.openId, tenant_key: 'bench' },
          token: `c-${n}`,
          action: {
            tag: 'button',
            name: 'submit',
            value: target.value,
            form_value: { ...formValueOf(target.codes), findings: '现场检查，特种设备使用登记齐全，1 项当场整改。' },
          },
          host: 'im_message',
          context: { open_message_id: target.messageId, open_chat_id: target.chatId },
        },
      });
    };
    let submitted = 0;
    let other = 0;
    const pid = proc.child.pid!;
    const before = { service: cpuSecondsOfPid(pid), postgres: cpuSecondsOf('postgres'), pressure: readPressure() };
    const result = await runOpenLoop({
      url: `${proc.url}/feishu/cards`,
      rate: RATE,
      seconds,
      warmupSeconds: WARMUP,
      body,
      onAnswer: (answer) => {
        if (answer.includes('检查已提交 JC-')) submitted++;
        else other++;
      },
    });
    const cpu = {
      service: cpuSecondsOfPid(pid) - before.service,
      postgres: cpuSecondsOf('postgres') - before.postgres,
    };
    const pressure = describePressure(before.pressure, readPressure());
    const errors = result.errors + result.timeouts + result.non2xx;
    const { p50, p90, p99, max } = result.latencyMs;
    const met = p99 <= BAR_MS && errors === 0 && submitted === total;
    console.log(
      `${label}: ${RATE} submits/s × ${seconds} s (60 items, 3 pages; each: JC number, 1 立查立改 hazard closed, 1 report ` +
        `form queued): ${submitted} submitted (warm-up included), ${other} other answers; p50 ${p50} ms, p90 ${p90} ms, ` +
        `p99 ${p99} ms, max ${max} ms, errors ${errors}; the generator sent late by ≤ ${result.sendLagMs.p99} ms (p99)` +
        ` — bar p99 ≤ ${BAR_MS} ms: ${met ? 'MET' : 'MISSED'}`,
    );
    const per = (seconds: number) => `${((1000 * seconds) / total).toFixed(1)} ms`;
    // PostgreSQL's figure counts every postgres process on the box: neighbours' work too (or less, if theirs ended).
    const postgres = label === 'postgres' && cpu.postgres >= 0 ? `, PostgreSQL (box-wide) ${per(cpu.postgres)}` : '';
    console.log(
      `${label}: CPU per submit: service ${per(cpu.service)}${postgres}; ` +
        `box load during the run (other processes included): ${pressure}`,
    );
  } finally {
    proc.child.kill('SIGTERM');
    await proc.exited;
    await sim.close();
  }
}

console.log(`bench:inspect on ${describeMachine()}`);
const only = process.env.BENCH_ONLY;
if (only !== 'pglite') {
  const fresh = await createFreshPostgresDatabase(serverUrl);
  try {
    await run('postgres', Number(process.env.BENCH_DURATION ?? 60), { DATABASE_URL: fresh.url });
  } finally {
    await fresh.drop();
  }
}
if (only !== 'postgres') {
  const dir = mkdtempSync(path.join(tmpdir(), 'hazard-bot-bench-'));
  try {
    await run('pglite', Number(process.env.BENCH_PGLITE_DURATION ?? 20), { DATA_DIR: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
