import { sql } from 'drizzle-orm';
import { openDatabase } from '../../src/db/client.js';
import { createCalendar, DEFAULT_CALENDAR_SETTINGS } from '../../src/domain/index.js';
import { inspectionQuality } from '../../src/ledger/campaign/quality.js';
import { scanCampaignHazards } from '../../src/ledger/campaign/scan.js';
import { townshipsByRegion } from '../../src/ledger/campaign/townships.js';
import { computeStats } from '../../src/ledger/stats.js';

const database = await openDatabase({ databaseUrl: process.argv[2]!, dataDir: '' });
const db = database.db;
const calendar = createCalendar(DEFAULT_CALENDAR_SETTINGS);
const period = { from: '2026-01-01', to: '2026-12-07' };
const time = async (label: string, f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  console.log(label, Math.round(performance.now() - t), 'ms');
};
for (let i = 0; i < 3; i++) {
  await time('stats', () => computeStats(db, { where: sql`true`, calendar, now: new Date() }));
  await time('townships', () => townshipsByRegion(db));
  await time('scan', () => scanCampaignHazards(db, { where: sql`true`, period, calendar, today: '2026-12-07' }));
  await time('quality', () =>
    inspectionQuality(db, {
      inspectionWhere: sql`true`,
      hazardWhere: sql`true`,
      period,
      timeZone: 'Asia/Shanghai',
      fromInstant: calendar.startOfLocalDay('2026-01-01'),
      endInstant: calendar.startOfLocalDay('2026-12-08'),
    }),
  );
}
await database.close();
