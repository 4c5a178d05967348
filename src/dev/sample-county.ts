/**
 * 示例县: the directory sandbox mode loads into an empty database, so that someone trying the service on a laptop can
 * report a hazard at once. Its people are users of the in-process Feishu simulator (same open_ids), so the bot's
 * messages reach them there and the control API can act as them. `npm run demo` plays its story on the same county.
 */
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import type { IsBotInChat } from '../directory/check-chats.js';
import { type ImportReport, importDirectory } from '../directory/import.js';
import { parseJson } from '../directory/parse-input.js';
import { directoryIsEmpty } from '../directory/state.js';
import type { FeishuSim } from './feishu-sim/types.js';

/** 城关镇's escalation group in the simulator: its leaders and the township inspector, with the bot. */
export const SAMPLE_TOWNSHIP_CHAT = { chatId: 'oc_sample_town01', name: '城关镇安全生产督办群' };

export const SAMPLE_PEOPLE = [
  {
    code: 'wang',
    name: '王检查（县应急局检查员）',
    mobile: '13800000001',
    openId: 'ou_wang',
    roles: [{ role: 'inspector', scope: 'county' }],
  },
  {
    code: 'li',
    name: '李站长（城关镇安监站）',
    mobile: '13800000002',
    openId: 'ou_li',
    roles: [{ role: 'inspector', scope: 'region:town-01' }],
  },
  { code: 'zhao', name: '赵总（企业主要负责人）', mobile: '13800000003', openId: 'ou_zhao', roles: [] },
  { code: 'qian', name: '钱工（企业安全管理员）', mobile: '13800000004', openId: 'ou_qian', roles: [] },
  {
    code: 'sun',
    name: '孙镇长（乡镇分管领导）',
    mobile: '13800000005',
    openId: 'ou_sun',
    roles: [{ role: 'township_leader_in_charge', scope: 'region:town-01' }],
  },
  {
    code: 'zhou',
    name: '周书记（乡镇主要领导）',
    mobile: '13800000006',
    openId: 'ou_zhou',
    roles: [{ role: 'township_main_leader', scope: 'region:town-01' }],
  },
  {
    code: 'wu',
    name: '吴局长（县应急管理局）',
    mobile: '13800000007',
    openId: 'ou_wu',
    roles: [{ role: 'department_leader', scope: 'department:yjj' }],
  },
  {
    code: 'zheng',
    name: '郑县长（县领导）',
    mobile: '13800000008',
    openId: 'ou_zheng',
    roles: [{ role: 'county_leader', scope: 'county' }],
  },
  {
    code: 'feng',
    name: '冯镇长（白鹤镇分管领导）',
    mobile: '13800000009',
    openId: 'ou_feng',
    roles: [{ role: 'township_leader_in_charge', scope: 'region:town-02' }],
  },
  { code: 'chen', name: '陈厂长（白鹤机械厂负责人）', mobile: '13800000010', openId: 'ou_chen', roles: [] },
];

/** The directory JSON of interface.md, as an administrator would PUT it. */
export const SAMPLE_DIRECTORY = {
  regions: [
    { code: 'county', name: '示例县', parent: null },
    { code: 'town-01', name: '城关镇', parent: 'county', chatId: SAMPLE_TOWNSHIP_CHAT.chatId },
    { code: 'town-02', name: '白鹤镇', parent: 'county' },
  ],
  departments: [
    { code: 'yjj', name: '县应急管理局', sectors: ['工贸', '危险化学品'] },
    { code: 'scjgj', name: '县市场监督管理局', sectors: ['特种设备'] },
  ],
  people: SAMPLE_PEOPLE,
  enterprises: [
    {
      code: 'e001',
      name: '城关化工有限公司',
      region: 'town-01',
      sectors: ['危险化学品'],
      department: 'yjj',
      principal: 'zhao',
      safetyOfficer: 'qian',
      address: '城关镇工业园区 8 号',
    },
    {
      code: 'e002',
      name: '白鹤机械厂',
      region: 'town-02',
      sectors: ['工贸'],
      department: 'yjj',
      principal: 'chen',
      address: '白鹤镇白鹤路 21 号',
    },
    {
      code: 'e003',
      name: '城关供热站',
      region: 'town-01',
      sectors: ['特种设备'],
      department: 'scjgj',
      principal: 'zhao',
    },
  ],
};

/** The sample people as simulator users, and 城关镇's group with the bot in it. */
export function addSampleUsers(sim: Pick<FeishuSim, 'addUser' | 'addChat'>): void {
  for (const person of SAMPLE_PEOPLE) sim.addUser({ openId: person.openId, name: person.name, mobile: person.mobile });
  sim.addChat({ ...SAMPLE_TOWNSHIP_CHAT, memberOpenIds: ['ou_li', 'ou_sun', 'ou_zhou'], botIsMember: true });
}

/** A general hazard at 城关化工有限公司, as the report form's fields (interface.md) for a submit by 王检查. */
export function sampleReportForm(deadline: string): Record<string, string> {
  return {
    enterprise: '城关化工有限公司',
    sector: '危险化学品',
    level: 'general',
    description: '储罐区静电接地线断开',
    location: '储罐区 2 号罐',
    measures: '恢复静电接地并检测',
    standard: '接地电阻不大于 10 欧',
    deadline: `${deadline} +0800`,
  };
}

export interface SampleCountyDeps {
  db: Db;
  sim: Pick<FeishuSim, 'addUser' | 'addChat' | 'url'>;
  isBotInChat: IsBotInChat;
  logger: Logger;
  now: Date;
}

/**
 * Makes the sample people users of the simulator (every start: the simulator forgets them on exit), and imports the
 * sample directory through the normal import when the directory is empty. Answers the import report, or undefined
 * when the directory already had entries and was left alone.
 */
export async function loadSampleCounty(deps: SampleCountyDeps): Promise<ImportReport | undefined> {
  addSampleUsers(deps.sim);
  if (!(await directoryIsEmpty(deps.db))) return undefined;
  const result = await importDirectory(deps.db, parseJson(SAMPLE_DIRECTORY), {
    mode: 'replace',
    isBotInChat: deps.isBotInChat,
    now: deps.now,
  });
  // The sample is ours: a rejection is a bug in this file, not something the person trying the service can fix.
  if (!result.ok) throw new Error(`示例县名录导入失败：${JSON.stringify(result.issues)}`);
  const sim = deps.sim.url;
  deps.logger.info(
    { simulator: sim, people: SAMPLE_PEOPLE.map((p) => `${p.openId} ${p.name}`) },
    `名录为空，已导入示例县：${SAMPLE_DIRECTORY.regions.length - 1} 个乡镇、${SAMPLE_DIRECTORY.departments.length} 个部门、` +
      `${SAMPLE_DIRECTORY.enterprises.length} 家企业、${SAMPLE_PEOPLE.length} 人（均为模拟器用户）。` +
      `试一试：以检查员王检查的身份上报隐患 curl -XPOST ${sim}/__sim/text -d '{"from":"ou_wang","text":"上报"}'，` +
      `再用 curl ${sim}/__sim/messages?to=ou_wang 查看机器人发来的表单；填表提交、点按钮见 src/dev/feishu-sim/README.md。` +
      '导入自己的名录（PUT /api/admin/directory）会替换示例县。',
  );
  return result.report;
}
