// `npm run bench:uploads`: hostile spreadsheets uploaded to PUT /api/admin/directory of a running service (its own
// process, PostgreSQL from TEST_DATABASE_URL in a fresh database), while /healthz is polled and Feishu events arrive
// at a steady rate, both open loop (see open-loop.ts). Issue 19 point 2: an 888 KB xlsx claiming 3,000,000 rows took
// 27 s and 2.8 GB, a 30 MB xlsx of 275,000 bad rows 32–41 s and 2.7 GB with a 23.8 MB error body, a 1 MB zip of 1 GB
// 1.4 GB; /healthz waited up to 26 s meanwhile. For each file it prints the answer (status, time, body size),
// /healthz p50/p99/max and the event ack p99 during the upload, the service's event-loop delay, and its RSS (peak of
// samples every 20 ms during the upload, and the kernel's high-water mark since start).
// Bars: /healthz p99 ≤ 100 ms and RSS < 512 MB during each upload; the event ack p99 is printed against
// engineering.md's 15 ms (set at 1,000 events/s) beside the same load without an upload, since on a shared box of two
// cores the load alone can miss it. BENCH_ACK_RATE sets the events a second (default 200; 1,000 saturates a shared box
// by itself); BENCH_ONLY=<name> runs one file; BENCH_BUILD=1 runs the compiled service (node dist/server.js).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startFeishuSim } from '../../src/dev/feishu-sim/index.js';
import { createFreshPostgresDatabase } from '../support/db.js';
import { spawnService, waitUntilReady } from '../support/process.js';
import { HOSTILE_FILES } from './hostile-files.js';
import { describeMachine, describePressure, readPressure } from './machine.js';
import { runOpenLoop } from './open-loop.js';

const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ackRate = Number(process.env.BENCH_ACK_RATE ?? 200);
// BENCH_BUILD=1 runs the compiled service (node dist/server.js, after npm run build), as production does.
const build = process.env.BENCH_BUILD === '1';
const TOKEN = 'bench-uploads-admin-token-0123456789';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const BARS = { healthzP99: 100, ackP99: 15, rssMb: 512 };

/** The error's message and its first detail (what the admin reads), or the start of the body. */
function summary(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message: string; details?: { reason: string }[] } };
    return `${parsed.error?.message ?? ''} ${parsed.error?.details?.[0]?.reason ?? ''}`.trim().slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

/**
 * The uploads are sent by a helper process started once, before any measurement: pushing megabytes through this
 * process's event loop (or forking curl from it) made the open loops that time the acks and /healthz late themselves,
 * by up to 34 ms. This process only writes the file to disk and sends the helper its path.
 */
const UPLOADER = `
const fs = require('node:fs');
process.on('message', async (m) => {
  try {
    const form = new FormData();
    form.append('file', new Blob([fs.readFileSync(m.file)], { type: m.type }), m.name);
    const r = await fetch(m.url, { method: 'PUT', headers: { authorization: m.auth }, body: form });
    process.send({ id: m.id, status: r.status, body: await r.text() });
  } catch (e) {
    process.send({ id: m.id, status: 0, body: String(e) });
  }
});`;

function startUploader() {
  // At the lowest priority: the sender stands for a client on another machine, whose CPU is not the service's.
  const child = spawn('nice', ['-n', '19', process.execPath, '-e', UPLOADER], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (answer: { status: number; body: string }) => void>();
  child.on('message', (answer: { id: number; status: number; body: string }) => waiting.get(answer.id)?.(answer));
  let next = 0;
  return {
    async upload(url: string, name: string, file: string): Promise<Response> {
      const id = ++next;
      const answer = await new Promise<{ status: number; body: string }>((resolve) => {
        waiting.set(id, resolve);
        child.send({ id, url, name, file, type: XLSX, auth: `Bearer ${TOKEN}` });
      });
      waiting.delete(id);
      if (answer.status === 0) throw new Error(`upload failed: ${answer.body}`);
      return new Response(answer.body, { status: answer.status });
    },
    close: () => child.kill(),
  };
}

/** The service's resident memory now, and its high-water mark since start (Linux /proc; 0 elsewhere). */
function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: Math.round(kb('VmRSS') / 1024), hwmMb: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return { rssMb: 0, hwmMb: 0 };
  }
}

/** The event-loop delay prom-client saw since the last scrape (it resets its histogram at each). */
async function eventLoopDelay(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) =>
    Number(new RegExp(`^nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) * 1000;
  return `p99 ${value('p99').toFixed(0)} ms, max ${value('max').toFixed(0)} ms`;
}

async function main(): Promise<void> {
  console.log(
    `bench:uploads on ${describeMachine()}; service ${build ? 'node dist/server.js' : 'tsx src/server.ts'}; ` +
      `events at ${ackRate}/s during each upload`,
  );
  const only = process.env.BENCH_ONLY;
  const files = HOSTILE_FILES.filter((f) => !only || f.name === only);
  const fresh = await createFreshPostgresDatabase(serverUrl);
  const uploader = startUploader();
  const scratch = mkdtempSync(path.join(tmpdir(), 'bench-uploads-'));
  const sim = await startFeishuSim();
  for (let i = 0; i < 500; i++) sim.addUser({ openId: `ou_bench_${i}`, name: `用户${i}` });
  const proc = await spawnService(
    {
      DATABASE_URL: fresh.url,
      LOG_LEVEL: 'warn',
      ADMIN_TOKEN: TOKEN,
      FEISHU_APP_ID: sim.appId,
      FEISHU_APP_SECRET: sim.appSecret,
      FEISHU_BASE_URL: sim.url,
      FEISHU_VERIFICATION_TOKEN: sim.verificationToken,
    },
    { build },
  );
  let failed = false;
  try {
    await waitUntilReady(proc, 60_000);
    sim.setBotUrl(`${proc.url}/feishu/events`);
    const pid = proc.child.pid!;
    console.log(`service idle: RSS ${memoryOf(pid).rssMb} MB`);
    let n = 0;
    const event = () => {
      n++;
      return JSON.stringify({
        schema: '2.0',
        header: {
          event_id: `bench-upload-${n}-${Date.now()}`,
          event_type: 'im.message.receive_v1',
          create_time: String(Date.now()),
          token: sim.verificationToken,
          app_id: sim.appId,
          tenant_key: 'bench',
        },
        event: {
          sender: { sender_id: { open_id: `ou_bench_${n % 500}` }, sender_type: 'user', tenant_key: 'bench' },
          message: {
            message_id: `om_bench_upload_${n}_${Date.now()}`,
            chat_id: `oc_p2p_ou_bench_${n % 500}`,
            chat_type: 'p2p',
            message_type: 'text',
            content: JSON.stringify({ text: '今天的隐患情况怎么样' }),
            create_time: String(Date.now()),
          },
        },
      });
    };

    // Warm-up at the same rate (connections opened, the ack path compiled), then the same load without an upload,
    // to read the upload's figures against: on a shared box the load alone moves them.
    await runOpenLoop({ url: `${proc.url}/feishu/events`, rate: ackRate, seconds: 5, warmupSeconds: 0, body: event });
    const measure = async (label: string, upload: (() => Promise<Response>) | undefined) => {
      await eventLoopDelay(proc.url); // resets the service's histogram
      const pressureBefore = readPressure();
      // Load first, then the upload: the loops run until it has its answer (or for 3 s without one).
      let answered!: () => void;
      const uploadDone = new Promise<void>((resolve) => {
        answered = resolve;
      });
      const loop = (url: string, rate: number, method: 'GET' | 'POST', body: () => string) =>
        runOpenLoop({ url, method, rate, seconds: 180, warmupSeconds: 0.5, body, stopWhen: uploadDone });
      const healthz = loop(`${proc.url}/healthz`, 100, 'GET', () => '');
      const acks = loop(`${proc.url}/feishu/events`, ackRate, 'POST', event);
      await sleep(500);
      let peakRss = 0;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, memoryOf(pid).rssMb);
      }, 20);
      const started = performance.now();
      const response = upload ? await upload() : undefined;
      const body = response ? await response.text() : '';
      const tookMs = performance.now() - started;
      if (!upload) await sleep(3000);
      // An upload answered at once is sent again and again for 3 s: one of them spans a handful of acks, too few
      // for a p99; the same file a few dozen times over spans hundreds.
      let uploads = upload ? 1 : 0;
      while (upload && performance.now() - started < 3000) {
        await (await upload()).text();
        uploads++;
      }
      answered();
      clearInterval(sampler);
      const [health, ack] = await Promise.all([healthz, acks]);
      const memory = memoryOf(pid);
      peakRss = Math.max(peakRss, memory.rssMb);
      const delay = await eventLoopDelay(proc.url);
      if (response) {
        console.log(
          `  answer: ${response.status} in ${(tookMs / 1000).toFixed(2)} s, body ${(Buffer.byteLength(body) / 1024).toFixed(1)} KB — ${summary(body)}` +
            (uploads > 1 ? ` (sent ${uploads} times in ${((performance.now() - started) / 1000).toFixed(1)} s)` : ''),
        );
      }
      const healthOk = health.latencyMs.p99 <= BARS.healthzP99 && health.errors + health.timeouts === 0;
      console.log(
        `  /healthz (${health.sent} polls${upload ? ' during the upload' : ''}): p50 ${health.latencyMs.p50} ms, ` +
          `p99 ${health.latencyMs.p99} ms, max ${health.latencyMs.max} ms, errors ${health.errors + health.timeouts + health.non2xx} — ` +
          `bar p99 ≤ ${BARS.healthzP99} ms: ${healthOk ? 'MET' : 'MISSED'}`,
      );
      const ackOk = ack.latencyMs.p99 <= BARS.ackP99 && ack.errors + ack.timeouts + ack.non2xx === 0;
      console.log(
        `  event acks (${ack.sent} at ${ackRate}/s): p50 ${ack.latencyMs.p50} ms, p99 ${ack.latencyMs.p99} ms, ` +
          `max ${ack.latencyMs.max} ms, errors ${ack.errors + ack.timeouts + ack.non2xx}; generator late by ≤ ` +
          `${ack.sendLagMs.p99} ms (p99) — bar p99 ≤ ${BARS.ackP99} ms: ${ackOk ? 'MET' : 'MISSED'}`,
      );
      const rssOk = peakRss < BARS.rssMb && memory.hwmMb < BARS.rssMb;
      console.log(
        `  service: RSS peak ${peakRss} MB${upload ? ' during the upload' : ''}, high-water mark since start ` +
          `${memory.hwmMb} MB — bar < ${BARS.rssMb} MB: ${rssOk ? 'MET' : 'MISSED'}; event-loop delay ${delay}; ` +
          `box ${describePressure(pressureBefore, readPressure())}`,
      );
      if (upload) failed ||= !healthOk || !rssOk;
      console.log(`  (${label})`);
    };

    console.log('\nno upload: the same load for 3 s');
    await measure('control', undefined);
    for (const file of files) {
      const generatedAt = performance.now();
      const data = file.data();
      console.log(
        `\n${file.name}: ${file.what}; ${(data.length / 2 ** 20).toFixed(1)} MB ` +
          `(generated in ${((performance.now() - generatedAt) / 1000).toFixed(1)} s)`,
      );
      const onDisk = path.join(scratch, `${file.name}.xlsx`);
      writeFileSync(onDisk, data);
      // Making the file left this process garbage to collect: collected now, not while it times the acks.
      gc();
      await sleep(500);
      await measure(file.name, () =>
        uploader.upload(`${proc.url}/api/admin/directory?mode=merge`, `${file.name}.xlsx`, onDisk),
      );
      // A moment for the service to settle (replies to the events, GC) before the next file.
      await sleep(2000);
    }
  } finally {
    uploader.close();
    rmSync(scratch, { recursive: true, force: true });
    proc.child.kill('SIGTERM');
    await proc.exited;
    await sim.close();
    await fresh.drop();
  }
  if (failed) process.exitCode = 1;
}

await main();
