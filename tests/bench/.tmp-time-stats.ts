import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startService } from '../../src/server.js';

const url = process.argv[2]!;
const TOKEN = 'bench-ledger-reader-token-0123456789';
const config = loadConfig({
  DATABASE_URL: url,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  API_TOKENS: `bench:${TOKEN}`,
});
const service = await startService(config, {
  logger: pino({ level: 'silent' }),
  reminders: { scheduler: { cron: false, catchUpOnStart: false } },
});
const get = (path: string) => fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
const times: number[] = [];
for (let i = 0; i < 12; i++) {
  const t = performance.now();
  const r = await get('/api/stats');
  const body = (await r.json()) as { campaign: { majors: unknown } };
  if (i >= 2) times.push(performance.now() - t);
  if (i === 0) console.log(JSON.stringify(body.campaign.majors));
}
times.sort((a, b) => a - b);
console.log('/api/stats county median', Math.round(times[5]!), 'ms, max', Math.round(times.at(-1)!), 'ms');
for (const path of ['/api/campaign.xlsx', '/api/stats?scope=region:town-01']) {
  const t = performance.now();
  const r = await get(path);
  await r.arrayBuffer();
  console.log(path, r.status, Math.round(performance.now() - t), 'ms');
}
await service.shutdown();
