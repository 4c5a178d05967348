/** Who to ask to be added to the directory: the county safety office's people, by name. */
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { people, roleAssignments } from '../../db/schema/index.js';

export async function contactsFor(db: Db): Promise<string> {
  const rows = await db
    .selectDistinct({ name: people.name })
    .from(roleAssignments)
    .innerJoin(people, eq(people.id, roleAssignments.personId))
    .where(eq(roleAssignments.role, 'county_safety_office'))
    .limit(5);
  const names = rows.map((r) => r.name).filter(Boolean);
  return names.length
    ? `请联系县安委办（${names.join('、')}）或系统管理员，把你加入组织名录（填写飞书账号对应的手机号）后再登录。`
    : '请联系县安委办或系统管理员，把你加入组织名录（填写飞书账号对应的手机号）后再登录。';
}
