// `npm run demo`: plays the whole hazard loop — a general hazard and a major one with suspension — against the local
// Feishu simulator, in the sample county of sandbox mode, and prints the conversation as each person sees it.
// Nothing reaches real Feishu.

import { PGlite } from '@electric-sql/pglite';
import { count, eq, inArray } from 'drizzle-orm';
import pino from 'pino';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { inboundEvents, outbox } from '../db/schema/index.js';
import { startService } from '../server.js';
import { cardElements } from './feishu-sim/card-elements.js';
import { startFeishuSim } from './feishu-sim/index.js';
import type { SimMessage } from './feishu-sim/types.js';
import { addSampleUsers, SAMPLE_DIRECTORY, SAMPLE_PEOPLE, sampleReportForm } from './sample-county.js';

const ADMIN_TOKEN = 'demo-admin-token-0123456789';

// biome-ignore lint/suspicious/noExplicitAny: cards are printed from their JSON, element by element.
type Json = any;

const nameOf = new Map(SAMPLE_PEOPLE.map((p) => [p.openId, p.name]));
const sim = await startFeishuSim();
addSampleUsers(sim);
const pglite = await PGlite.create();
const database = await openDatabase({ dataDir: '', pglite });
const config = loadConfig({
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  ADMIN_TOKEN,
  FEISHU_APP_ID: sim.appId,
  FEISHU_APP_SECRET: sim.appSecret,
  FEISHU_BASE_URL: sim.url,
  FEISHU_VERIFICATION_TOKEN: sim.verificationToken,
});
const service = await startService(config, { logger: pino({ level: 'silent' }), database });
sim.setBotUrl(`${service.url}/feishu/events`);
await fetch(`${service.url}/api/admin/directory`, {
  method: 'PUT',
  headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
  body: JSON.stringify(SAMPLE_DIRECTORY),
});

let shown = 0;
let stepNo = 0;

/** Waits until every event is handled and every queued message has gone out. */
async function settle(): Promise<void> {
  const { db } = database;
  for (let i = 0; i < 400; i++) {
    const [events] = await db.select({ n: count() }).from(inboundEvents).where(eq(inboundEvents.status, 'pending'));
    const [queued] = await db
      .select({ n: count() })
      .from(outbox)
      .where(inArray(outbox.status, ['pending']));
    if (!events?.n && !queued?.n) break;
    service.deps.outboxSender.kick();
    await new Promise((r) => setTimeout(r, 50));
  }
}

function describeMessage(m: SimMessage): string {
  const to = nameOf.get(m.recipientOpenId ?? '') ?? m.chatId;
  const buzz = m.urgents.length ? ' 🔔加急' : '';
  if (m.msgType === 'text') return `   → ${to}: 「${m.content.text}」${buzz}`;
  if (m.msgType !== 'interactive') return `   → ${to}: [${m.msgType}]${buzz}`;
  const title = m.content?.header?.title?.content ?? '';
  const buttons = cardElements(m.content)
    .filter((e) => e.tag === 'button')
    .map((e) => e.text?.content);
  return `   → ${to}: 卡片「${title}」${buttons.length ? ` 按钮 [${buttons.join(' | ')}]` : ''}${buzz}`;
}

async function step(title: string, act: () => Promise<Json | undefined>): Promise<Json | undefined> {
  stepNo++;
  console.log(`\n${stepNo}. ${title}`);
  const answer = await act();
  if (answer?.toast) console.log(`   ⟵ 提示（${answer.toast.type}）：${answer.toast.content}`);
  if (answer?.card) console.log(`   ⟵ 卡片更新为「${answer.card.data?.header?.title?.content ?? ''}」`);
  await settle();
  const all = sim.messages();
  for (const m of all.slice(shown)) console.log(describeMessage(m));
  shown = all.length;
  return answer;
}

const cardFor = (openId: string, includes: string) =>
  sim
    .messages({ to: openId, msgType: 'interactive' })
    .filter((m) => JSON.stringify(m.content?.header ?? {}).includes(includes))
    .at(-1)!;
const click = async (openId: string, messageId: string, value: Json, formValue?: Json) =>
  (await sim.clickCard(openId, messageId, { value, formValue })).body;

async function reportHazard(form: Json): Promise<string> {
  await step(`${nameOf.get('ou_wang')} 在单聊中发送「上报」`, async () => {
    await sim.sendText('ou_wang', '上报');
    return undefined;
  });
  const formCard = cardFor('ou_wang', '上报安全隐患');
  const submit = cardElements(formCard.content).find((e) => e.tag === 'button' && e.form_action_type === 'submit');
  const answer = await step(
    `${nameOf.get('ou_wang')} 填写表单并点击「提交」（${form.level === 'major' ? '重大' : '一般'}隐患）`,
    () => click('ou_wang', formCard.messageId, submit.behaviors[0].value, form),
  );
  return /YH-\d{4}-\d{6}/.exec(answer?.card?.data?.header?.title?.content ?? '')?.[0] ?? '';
}

const deadline = new Date(Date.now() + 10 * 86400_000).toISOString().slice(0, 10);
console.log('隐患闭环演示：本地飞书模拟器上的一次完整对话（一般隐患与重大隐患）');

const general = await reportHazard(sampleReportForm(deadline));
const notice = cardFor('ou_zhao', general);
await step(`${nameOf.get('ou_zhao')} 点击「确认接收」`, () =>
  click('ou_zhao', notice.messageId, { action: 'hazard.acknowledge', code: general }),
);
await step(`${nameOf.get('ou_zhao')} 填写整改情况并点击「提交整改」`, () =>
  click(
    'ou_zhao',
    notice.messageId,
    { action: 'hazard.submitRectification', code: general },
    { rectification: '已重新连接接地线，检测 4 欧' },
  ),
);
const verify = cardFor('ou_wang', '请验收');
await step(`${nameOf.get('ou_wang')} 现场复查后点击「验收通过」`, () =>
  click('ou_wang', verify.messageId, { action: 'hazard.accept', code: general }),
);

const major = await reportHazard({
  enterprise: '城关化工有限公司',
  sector: '危险化学品',
  level: 'major',
  suspend: 'yes',
  description: '液氯储罐区未设置泄漏报警和紧急切断装置',
  location: '液氯库',
  measures: '停用液氯储罐，加装泄漏报警及紧急切断装置',
  standard: '符合 GB 11984 要求并经检测合格',
  deadline: `${deadline} +0800`,
  basis: '安监总管三〔2017〕121号 第十条',
  funds: '80 万元',
  contingency: '停产，储罐倒空，专人值守',
});
await step(`${nameOf.get('ou_zheng')} 在「重大隐患挂牌督办」卡片上发表督办意见`, () =>
  click(
    'ou_zheng',
    cardFor('ou_zheng', major).messageId,
    { action: 'hazard.comment', code: major },
    { comment: '停产整改期间专人值守，整改完成后立即申请复产验收' },
  ),
);
const majorNotice = cardFor('ou_zhao', major);
await step(`${nameOf.get('ou_zhao')} 提交整改`, () =>
  click(
    'ou_zhao',
    majorNotice.messageId,
    { action: 'hazard.submitRectification', code: major },
    { rectification: '已加装报警与紧急切断装置并检测合格' },
  ),
);
await step(`${nameOf.get('ou_wang')} 复产验收通过（摘牌销号）`, () =>
  click('ou_wang', cardFor('ou_wang', '请验收').messageId, { action: 'hazard.accept', code: major }),
);
await step(`${nameOf.get('ou_wang')} 发送「查询 ${major}」`, async () => {
  await sim.sendText('ou_wang', `查询 ${major}`);
  return undefined;
});

console.log(`\n共 ${sim.messages().length} 条机器人消息；${general} 与 ${major} 均已销号。`);
await service.shutdown();
await sim.close();
