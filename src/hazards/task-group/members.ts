/**
 * Who is in a 专班群 and who hears why they are not: the hazard as the group worker reads it, its people resolved
 * through the directory's chain of responsibility, the reasons Feishu gives for not adding someone, and the word to
 * each of them and to the reporter.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { enterprises, hazards, people } from '../../db/schema/index.js';
import type { PersonRecord } from '../../directory/lookup.js';
import type { FeishuApiError } from '../../feishu/errors.js';
import type { OutgoingMessage } from '../../feishu/outbox.js';
import { ResponsibilityCache } from '../../reminders/recipients.js';
import type { NotAdded } from './store.js';

/** Why a person could not be added, in words for them and the reporter. */
export const REASONS = {
  noAccount: '尚未加入飞书（名录中没有飞书账号）',
  notExisted: '飞书账号不存在（open_id 无效），请管理员核对名录',
  invalid: '账号已离职、未激活或不在应用可用范围内',
  pending: '入群申请待群主审批',
} as const;

export interface Member {
  role: string;
  person: PersonRecord;
}

/** A whole add-members call refused: every one in it is "not added" for this reason (null: retry instead). */
export function memberErrorReason(error: FeishuApiError): string | null {
  switch (error.code) {
    case 232027:
      return '没有可加入的有效账号（已离职、未激活或不在应用可用范围内）';
    case 99992351:
      return REASONS.notExisted;
    case 232024:
      return '应用对该用户不可见（不在应用可用范围内）';
    case 232017:
      return '机器人没有拉人入群的权限，请管理员开通 im:chat:operate_as_owner';
    case 232013:
    case 232044:
      return '群成员已达上限';
    default:
      return null;
  }
}

export interface HazardSummary {
  id: number;
  code: string;
  status: string;
  enterpriseId: number;
  regionId: number;
  departmentId: number | null;
  responsibleId: number | null;
  reporterId: number;
  reporterOpenId: string | null;
  unitName: string;
  description: string;
}

export async function hazardOf(db: Db, hazardId: number): Promise<HazardSummary> {
  const [row] = await db
    .select({
      id: hazards.id,
      code: hazards.code,
      status: hazards.status,
      enterpriseId: hazards.enterpriseId,
      regionId: hazards.regionId,
      departmentId: hazards.departmentId,
      responsibleId: hazards.responsibleId,
      reporterId: hazards.reporterId,
      reporterOpenId: people.openId,
      unitName: enterprises.name,
      description: hazards.description,
    })
    .from(hazards)
    .innerJoin(enterprises, eq(enterprises.id, hazards.enterpriseId))
    .innerJoin(people, eq(people.id, hazards.reporterId))
    .where(eq(hazards.id, hazardId));
  if (!row) throw new Error(`task group of a hazard that does not exist (${hazardId})`);
  return row;
}

/**
 * The group's people, resolved through the directory as the reminders resolve them: the responsible person, the
 * unit's principal, the township's leaders, the department's leader, the county leaders, the reporting inspector.
 */
export async function membersOf(db: Db, hazard: HazardSummary): Promise<Member[]> {
  const chain = new ResponsibilityCache();
  const key = { enterpriseId: hazard.enterpriseId, regionId: hazard.regionId, departmentId: hazard.departmentId };
  await chain.load(db, [key]);
  const unit = chain.get(key);
  const ids = [hazard.responsibleId, hazard.reporterId].filter((id): id is number => id !== null);
  const rows = await db
    .select({ id: people.id, code: people.code, name: people.name, openId: people.openId, mobile: people.mobile })
    .from(people)
    .where(and(sql`${people.id} = any(${`{${ids.join(',')}}`}::int[])`, ne(people.active, false)));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const list: Member[] = [];
  const add = (role: string, person: PersonRecord | null | undefined) => {
    if (person && !list.some((m) => m.person.code === person.code)) list.push({ role, person });
  };
  add('responsible', hazard.responsibleId ? byId.get(hazard.responsibleId) : null);
  add('principal', unit?.principal);
  for (const p of unit?.townshipLeaderInCharge ?? []) add('township_leader_in_charge', p);
  for (const p of unit?.townshipMainLeader ?? []) add('township_main_leader', p);
  for (const p of unit?.departmentLeader ?? []) add('department_leader', p);
  for (const p of unit?.countyLeaders ?? []) add('county_leader', p);
  add('reporter', byId.get(hazard.reporterId));
  return list;
}

/** One-to-one word to each person not in the group who has Feishu, and to the reporter the list of them all. */
export function notAddedMessages(
  hazard: HazardSummary,
  notAdded: (NotAdded & { person: PersonRecord })[],
): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  for (const n of notAdded) {
    if (!n.person.openId || n.person.id === hazard.reporterId) continue;
    out.push({
      to: { openId: n.person.openId },
      msgType: 'text',
      content: {
        text: `${hazard.code}（${hazard.unitName}）重大隐患已建专班群，但未能把您加入：${n.reason}。请联系管理员处理，或请群成员拉您入群。`,
      },
      topic: `hazard:${hazard.code}:group-not-added`,
    });
  }
  const reporter = notAdded.length > 0 ? hazard.reporterOpenId : null;
  if (reporter) {
    out.push({
      to: { openId: reporter },
      msgType: 'text',
      content: {
        text: `${hazard.code}（${hazard.unitName}）的专班群已建立，以下人员未能入群：${notAdded
          .map((n) => `${n.person.id === hazard.reporterId ? '您本人' : n.name}（${n.reason}）`)
          .join('；')}。请当面或电话告知，并请管理员补全名录。`,
      },
      topic: `hazard:${hazard.code}:group-not-added`,
    });
  }
  return out;
}
