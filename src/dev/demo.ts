// `npm run demo`: plays the whole hazard loop — a general hazard and a major one (listing, 治理方案, suspension,
// resumption, 摘牌, its 专班群) — and three
// inspections (clean, a failed item reported, one 立查立改) against the local Feishu simulator, in the sample county of
// sandbox mode, and prints the conversation as each person sees it.
// Nothing reaches real Feishu.

import { PGlite } from '@electric-sql/pglite';
import { count, eq, inArray } from 'drizzle-orm';
import pino from 'pino';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';
import { inboundEvents, outbox } from '../db/schema/index.js';
import { ITEM_RESULT_LABELS, type ItemResult } from '../domain/index.js';
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
    // The title, or the summary (a reminder card names its hazard there, not in its title).
    .filter((m) => JSON.stringify([m.content?.header ?? {}, m.content?.config?.summary ?? {}]).includes(includes))
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
  // 判定依据 from the pick list: the default 危化 checklist's item 5 (安监总管三〔2017〕121号 第五条, 罐区紧急切断).
  basis: 'ck:default-whp:5',
  funds: '80 万元',
  contingency: '停产，储罐倒空，专人值守',
});
const majorNotice = cardFor('ou_zhao', `整改通知｜${major}`);
// 治: the county inspector's 停产 is a proposal; the department's leader lists the hazard and orders the suspension.
const titled = (openId: string, title: string) => cardFor(openId, `${title}｜${major}`);
// One card asks the department's leader for both decisions: the listing and the suspension proposed.
await step(`${nameOf.get('ou_wu')} 在「停产停业建议待确认」卡片上点击「挂牌督办」`, () =>
  click('ou_wu', titled('ou_wu', '停产停业建议待确认').messageId, { action: 'hazard.list', code: major }),
);
await step(`${nameOf.get('ou_wu')} 确认检查员的停产停业建议：「责令停产停业」`, () =>
  click(
    'ou_wu',
    cardFor('ou_wu', major).messageId,
    { action: 'hazard.orderSuspension', code: major },
    { suspension_reason: '液氯库立即停用，倒空储罐' },
  ),
);
await step(`${nameOf.get('ou_zheng')} 在「重大事故隐患报告」卡片上点「查看详情」`, () =>
  click('ou_zheng', cardFor('ou_zheng', major).messageId, { action: 'hazard.show', code: major }),
);
await step(`${nameOf.get('ou_zheng')} 在隐患详情卡片上发表督办意见`, () =>
  click(
    'ou_zheng',
    cardFor('ou_zheng', `隐患详情｜${major}`).messageId,
    { action: 'hazard.comment', code: major },
    { comment: '停产整改期间专人值守，整改完成后立即申请复产验收' },
  ),
);
const planForm = cardFor('ou_zhao', `请提交治理方案：${major}`);
await step(`${nameOf.get('ou_zhao')} 填写治理方案的八个部分并点击「提交治理方案」`, () =>
  click(
    'ou_zhao',
    planForm.messageId,
    { action: 'plan.submit', code: major },
    {
      situation: '液氯储罐区建成时未设泄漏报警和紧急切断，历次改造未补齐',
      severity: '泄漏可致厂区及周边人员中毒；需停产加装装置，难度中等',
      goals: '30 日内加装泄漏报警及紧急切断装置并检测合格',
      methods: '储罐倒空置换，加装有毒气体报警仪和气动紧急切断阀，联锁调试',
      funding: '企业自筹 80 万元，设备已订货',
      organisation: '赵总负责，钱工具体实施，设备厂家驻场',
      timeline: `${deadline} 前完成并申请复产验收`,
      safety: '停产期间专人值守，配备正压式空气呼吸器，应急预案已演练',
    },
  ),
);
await step(`${nameOf.get('ou_wu')} 审核治理方案：「通过」`, () => {
  const review = cardFor('ou_wu', `审核治理方案：${major}`);
  return click('ou_wu', review.messageId, { action: 'plan.accept', code: major, version: 1 });
});
await step(`${nameOf.get('ou_zhao')} 提交整改`, () =>
  click(
    'ou_zhao',
    majorNotice.messageId,
    { action: 'hazard.submitRectification', code: major },
    { rectification: '已加装报警与紧急切断装置并检测合格' },
  ),
);
await step(`${nameOf.get('ou_zhao')} 在整改卡片上点击「申请复产」`, () =>
  click('ou_zhao', majorNotice.messageId, { action: 'hazard.requestResumption', code: major }),
);
await step(`${nameOf.get('ou_wu')} 到现场复产验收：「复产验收通过」`, () =>
  click(
    'ou_wu',
    titled('ou_wu', '复产申请，请复产验收').messageId,
    { action: 'hazard.acceptResumption', code: major },
    { resumption_reason: '现场核查：报警与切断装置联锁有效' },
  ),
);
await step(`${nameOf.get('ou_wu')} 作为挂牌单位点击「摘牌」（摘牌销号）`, () =>
  click('ou_wu', cardFor('ou_wu', major).messageId, { action: 'hazard.delist', code: major }),
);
await step(`${nameOf.get('ou_wang')} 发送「查询 ${major}」`, async () => {
  await sim.sendText('ou_wang', `查询 ${major}`);
  return undefined;
});

// 专班群: the major hazard's group, made by the bot after the report, renamed 已销号 once it closed.
{
  const started = Date.now();
  let group = sim.chats().find((c) => c.createdByBot && c.name.includes(major));
  while ((!group || !group.name.includes('已销号')) && Date.now() - started < 15_000) {
    await new Promise((r) => setTimeout(r, 100));
    group = sim.chats().find((c) => c.createdByBot && c.name.includes(major));
  }
  console.log('\n—— 专班群 ——');
  if (!group) console.log('  （专班群尚未建成）');
  else {
    console.log(`  群名：${group.name}`);
    console.log(`  成员：${group.memberOpenIds.map((id) => nameOf.get(id) ?? id).join('、')}`);
    console.log(`  置顶：${group.pinnedMessageIds?.length ? '隐患卡片' : '（无）'}`);
    for (const m of sim.messages({ to: group.chatId, msgType: 'text' })) console.log(`  · ${m.content.text}`);
  }
}

// 查: three inspections by 王检查 with the shipped checklists — clean, one failed item reported, one 立查立改.
console.log('\n—— 查：检查留痕（未发现隐患、不合格项转上报、立查立改） ——');

/** The checklist card's item codes and its submit button (下一页 or 提交检查). */
function pageOf(card: Json) {
  const elements = cardElements(card);
  const codes = elements
    .filter((e) => e.tag === 'select_static' && String(e.name).startsWith('item_'))
    .map((e) => String(e.name).slice('item_'.length));
  const button = elements.find((e) => e.tag === 'button' && e.form_action_type === 'submit');
  return { codes, value: button.behaviors[0].value, text: button.text.content as string };
}

/** 检查 → the form → 开始检查 → every page answered with `answer` → 提交检查; answers the inspection's code. */
async function inspect(
  enterprise: string,
  kind: string,
  answer: (code: string) => string,
  findings: string,
): Promise<string> {
  await step(`${nameOf.get('ou_wang')} 在单聊中发送「检查」`, async () => {
    await sim.sendText('ou_wang', '检查');
    return undefined;
  });
  const form = cardFor('ou_wang', '开始检查');
  let answered = await step(`${nameOf.get('ou_wang')} 选定单位「${enterprise}」、检查类型，点击「开始检查」`, () =>
    click('ou_wang', form.messageId, { action: 'inspection.start' }, { enterprise, kind }),
  );
  for (let page = 1; page <= 20; page++) {
    const { codes, value, text } = pageOf(answered?.card?.data);
    const formValue: Json = Object.fromEntries(codes.map((code) => [`item_${code}`, answer(code)]));
    if (text === '提交检查') formValue.findings = findings;
    const marked = codes.filter((code) => answer(code) !== 'pass');
    answered = await step(
      `${nameOf.get('ou_wang')} 逐项选择结果（第 ${page} 页，${codes.length} 项${marked.length ? `，其中第 ${marked.join('、')} 项${marked.map((c) => ITEM_RESULT_LABELS[answer(c) as ItemResult]).join('、')}` : '，全部合格'}），点击「${text}」`,
      () => click('ou_wang', form.messageId, value, formValue),
    );
    if (text === '提交检查') break;
  }
  return /JC-\d{4}-\d{6}/.exec(answered?.card?.data?.header?.title?.content ?? '')?.[0] ?? '';
}

const clean = await inspect('城关化工有限公司', 'routine', () => 'pass', '各项符合要求');
const withFinding = await inspect(
  '城关化工有限公司',
  'unannounced',
  (code) => (code === '3' ? 'fail' : 'pass'),
  '第 3 项不合格，已转隐患上报',
);
const prefilled = cardFor('ou_wang', '上报检查发现的隐患');
const prefilledSubmit = cardElements(prefilled.content).find(
  (e) => e.tag === 'button' && e.form_action_type === 'submit',
);
const field = (name: string) => cardElements(prefilled.content).find((e) => e.name === name);
await step(`${nameOf.get('ou_wang')} 在预填的上报表上补全整改措施、标准和期限，点击「提交」`, () =>
  click('ou_wang', prefilled.messageId, prefilledSubmit.behaviors[0].value, {
    enterprise: field('enterprise')?.default_value,
    sector: field('sector')?.initial_option,
    level: field('level')?.initial_option,
    description: field('description')?.default_value,
    basis: field('basis')?.initial_option ?? '',
    basis_other: field('basis_other')?.default_value ?? '',
    location: '生产装置区',
    measures: '按检查表要求整改并建立台账',
    standard: '经复查符合检查表要求',
    deadline: `${deadline} +0800`,
  }),
);
const fixed = await inspect(
  '城关化工有限公司',
  'routine',
  (code) => (code === '5' ? 'fixed_on_site' : 'pass'),
  '第 5 项当场整改完毕',
);
await step(`${nameOf.get('ou_wang')} 发送「台账」（隐患台账和检查记录两个工作表）`, async () => {
  await sim.sendText('ou_wang', '台账');
  return undefined;
});
console.log(`\n检查 ${clean}（未发现隐患）、${withFinding}（不合格项已上报）、${fixed}（立查立改，隐患登记即销号）。`);

// 群众举报: from the township's poster to a hazard registered and closed, the tipster's answer on the tracking page.
console.log(`\n群众举报：城关镇的二维码海报指向 ${service.url}/tip?region=town-01`);
console.log(`   （海报本身：GET ${service.url}/api/admin/tips/qr?region=town-01，需 ADMIN_TOKEN）`);
const tipForm = new FormData();
tipForm.append('what', '镇东加油站旁的仓库把灭火器都搬走了，消防通道堆满纸箱');
tipForm.append('where', '城关镇东街加油站北侧仓库');
tipForm.append('region', 'town-01');
tipForm.append(
  'photos',
  new Blob([Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(256, 9)])], { type: 'image/jpeg' }),
  'cangku.jpg',
);
let tipLink = '';
let tipCode = '';
await step('一位路过的群众扫码，在手机上填写举报（匿名，附一张照片）并提交', async () => {
  const response = await fetch(`${service.url}/tip`, { method: 'POST', body: tipForm });
  const receipt = (await response.json()) as { code: string; trackingUrl: string };
  tipCode = receipt.code;
  tipLink = `${service.url}${receipt.trackingUrl}`;
  console.log(`   ⟵ 页面显示编号 ${receipt.code} 和「请保存此链接」：${tipLink}`);
  return undefined;
});
const tipCardMessage = cardFor('ou_li', `群众举报｜${tipCode}`);
await step(`${nameOf.get('ou_li')} 在举报卡片上点击「受理」`, () =>
  click('ou_li', tipCardMessage.messageId, { action: 'tip.accept', code: tipCode }),
);
await step(`${nameOf.get('ou_li')} 现场核查后点击「属实」（打开预填的上报表）`, () =>
  click('ou_li', tipCardMessage.messageId, { action: 'tip.confirm', code: tipCode }),
);
const tipReport = cardFor('ou_li', tipCode);
const tipSubmit = cardElements(tipReport.content).find((e) => e.tag === 'button' && e.form_action_type === 'submit');
const tipHazardAnswer = await step(`${nameOf.get('ou_li')} 补全上报表并提交：隐患来源为群众举报`, () =>
  click('ou_li', tipReport.messageId, tipSubmit.behaviors[0].value, {
    enterprise: '城关化工有限公司',
    sector: '危险化学品',
    level: 'general',
    description: '仓库灭火器缺失，消防通道堵塞',
    location: '北侧仓库',
    measures: '补齐灭火器，清理消防通道',
    standard: '灭火器齐全有效，通道畅通',
    deadline: `${deadline} +0800`,
  }),
);
const tipHazard = /YH-\d{4}-\d{6}/.exec(tipHazardAnswer?.card?.data?.header?.title?.content ?? '')?.[0] ?? '';
const tipNotice = cardFor('ou_zhao', tipHazard);
await step(`${nameOf.get('ou_zhao')} 确认接收并提交整改`, async () => {
  await click('ou_zhao', tipNotice.messageId, { action: 'hazard.acknowledge', code: tipHazard });
  return click(
    'ou_zhao',
    tipNotice.messageId,
    { action: 'hazard.submitRectification', code: tipHazard },
    { rectification: '已补齐 6 具灭火器，纸箱已清走' },
  );
});
await step(`${nameOf.get('ou_li')} 验收通过：隐患销号，举报人得到答复`, () =>
  click('ou_li', cardFor('ou_li', '请验收').messageId, { action: 'hazard.accept', code: tipHazard }),
);
const tracked = (await (await fetch(tipLink, { headers: { accept: 'application/json' } })).json()) as Json;
console.log(`\n举报人打开私密链接：${tracked.statusLabel}；答复：${tracked.answer ?? '（尚无）'}`);

console.log(`\n共 ${sim.messages().length} 条机器人消息；${general} 与 ${major} 均已销号。`);
await service.shutdown();
await sim.close();
