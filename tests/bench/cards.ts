// `npm run bench:cards`: how fast a card click (card.action.trigger) is answered, at a fixed rate, on PostgreSQL.
// The service runs as its own process; this process plays Feishu (the simulator) and sends the clicks evenly spaced,
// without waiting for answers (open loop, see open-loop.ts), after a 3 s warm-up at the same rate. 200 hazards are reported through the real form first; then principals click 确认接收 on their notices
// in a loop (the first click on each hazard acknowledges it — a transition with card updates; later ones are told it
// was already done — the same permission and state checks). Bar (engineering.md): p99 ≤ 100 ms at 100 clicks/s.
// BENCH_DURATION=seconds (default 60).
import { startFeishuSim } from '../../src/dev/feishu-sim/index.js';
import { createFreshPostgresDatabase } from '../support/db.js';
import { spawnService, waitUntilReady } from '../support/process.js';
import { describeMachine } from './machine.js';
import { runOpenLoop } from './open-loop.js';

const duration = Number(process.env.BENCH_DURATION ?? 60);
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const INSPECTORS = 20;
const ENTERPRISES = 40;
const HAZARDS = 200;

// biome-ignore lint/suspicious/noExplicitAny: cards are read as JSON.
type Json = any;

console.log(`bench:cards on ${describeMachine()}`);
const sim = await startFeishuSim();
const fresh = await createFreshPostgresDatabase(serverUrl);
try {
  const people = [
    ...Array.from({ length: INSPECTORS }, (_, i) => ({
      code: `insp${i}`,
      name: `检查员${i}`,
      openId: `ou_insp${i}`,
      roles: [{ role: 'inspector', scope: 'county' }],
    })),
    ...Array.from({ length: ENTERPRISES }, (_, i) => ({
      code: `boss${i}`,
      name: `负责人${i}`,
      openId: `ou_boss${i}`,
      roles: [],
    })),
  ];
  for (const p of people) sim.addUser({ openId: p.openId, name: p.name });
  const proc = await spawnService({
    DATABASE_URL: fresh.url,
    LOG_LEVEL: 'warn',
    ADMIN_TOKEN,
    FEISHU_APP_ID: sim.appId,
    FEISHU_APP_SECRET: sim.appSecret,
    FEISHU_BASE_URL: sim.url,
    FEISHU_VERIFICATION_TOKEN: sim.verificationToken,
  });
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
      departments: [{ code: 'yjj', name: '县应急管理局', sectors: ['工贸', '危险化学品'] }],
      people,
      enterprises: Array.from({ length: ENTERPRISES }, (_, i) => ({
        code: `e${i}`,
        name: `第${i}号机械厂`,
        region: 'town-01',
        sectors: ['工贸'],
        department: 'yjj',
        principal: `boss${i}`,
      })),
    }),
  });
  if (directory.status !== 200) throw new Error(`directory import failed: ${await directory.text()}`);

  const waitFor = async <T>(fn: () => T | undefined, what: string): Promise<T> => {
    for (let i = 0; i < 1200; i++) {
      const value = fn();
      if (value) return value;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const title = (m: { content: Json }) => String(m.content?.header?.title?.content ?? '');
  const deadline = new Date(Date.now() + 20 * 86400_000).toISOString().slice(0, 10);
  const reportStarted = Date.now();
  const codes: { code: string; boss: string }[] = [];
  // Reports go out from 20 inspectors at once; each inspector reports in turn.
  await Promise.all(
    Array.from({ length: INSPECTORS }, async (_, i) => {
      const openId = `ou_insp${i}`;
      for (let k = i; k < HAZARDS; k += INSPECTORS) {
        const before = sim.messages({ to: openId }).length;
        await sim.sendText(openId, '上报');
        const form = await waitFor(
          () =>
            sim
              .messages({ to: openId })
              .slice(before)
              .find((m) => title(m) === '上报安全隐患'),
          'the report form',
        );
        const walk = (list: Json[]): Json[] => list.flatMap((e) => [e, ...walk(e.elements ?? [])]);
        const submit = walk(form.content.body.elements).find((e) => e.form_action_type === 'submit');
        const enterprise = k % ENTERPRISES;
        const answer = await sim.clickCard(openId, form.messageId, {
          value: submit.behaviors[0].value,
          formValue: {
            enterprise: `第${enterprise}号机械厂`,
            sector: '工贸',
            level: 'general',
            description: `第${k}处：砂轮机防护罩缺失`,
            location: '机加工车间',
            measures: '加装防护罩',
            standard: '符合 GB 4674',
            deadline: `${deadline} +0800`,
          },
        });
        const code = /YH-\d{4}-\d{6}/.exec(JSON.stringify(answer.body?.card?.data?.header ?? {}))?.[0];
        if (!code) throw new Error(`report failed: ${JSON.stringify(answer.body).slice(0, 300)}`);
        codes.push({ code, boss: `ou_boss${enterprise}` });
      }
    }),
  );
  const notices = await Promise.all(
    codes.map(({ code, boss }) =>
      waitFor(
        () => sim.messages({ to: boss }).find((m) => title(m).includes(code) && title(m).includes('整改通知')),
        `the notice of ${code}`,
      ).then((m) => ({ code, boss, messageId: m.messageId, chatId: m.chatId })),
    ),
  );
  console.log(
    `reported ${codes.length} hazards through the form in ${((Date.now() - reportStarted) / 1000).toFixed(1)} s`,
  );

  let n = 0;
  const body = () => {
    const target = notices[n++ % notices.length]!;
    return JSON.stringify({
      schema: '2.0',
      header: {
        event_id: `click-${n}-${Date.now()}`,
        event_type: 'card.action.trigger',
        create_time: String(Date.now() * 1000),
        token: sim.verificationToken,
        app_id: sim.appId,
        tenant_key: 'bench',
      },
      event: {
        operator: { open_id: target.boss, tenant_key: 'bench' },
        token: `c-${n}`,
        action: { tag: 'button', value: { action: 'hazard.acknowledge', code: target.code } },
        host: 'im_message',
        context: { open_message_id: target.messageId, open_chat_id: target.chatId },
      },
    });
  };
  let toastsOk = 0;
  const result = await runOpenLoop({
    url: `${proc.url}/feishu/cards`,
    rate: 100,
    seconds: duration,
    warmupSeconds: 3,
    body: () => body(),
    onAnswer: (answer) => {
      if (/"toast"/.test(answer)) toastsOk++;
    },
  });
  proc.child.kill('SIGTERM');
  await proc.exited;
  const errors = result.errors + result.timeouts + result.non2xx;
  const { p50, p90, p99, max } = result.latencyMs;
  console.log(
    `100 clicks/s × ${duration} s: answered ${result.sent - errors} (${toastsOk} with a toast, warm-up included), ` +
      `p50 ${p50} ms, p90 ${p90} ms, p99 ${p99} ms, max ${max} ms, errors ${errors}; the generator sent late by ` +
      `≤ ${result.sendLagMs.p99} ms (p99) — bar p99 ≤ 100 ms: ${p99 <= 100 && errors === 0 ? 'MET' : 'MISSED'}`,
  );
} finally {
  await sim.close();
  await fresh.drop();
}
