import type { PersonEntry } from './model.js';
import type { DirectoryState } from './state.js';

/**
 * The contact lookup the import needs: the shape of FeishuClient['resolveUserIds'] (which chunks by 50 and respects
 * the rate limit), so unit tests can pass a plain function.
 */
export type ResolveUserIds = (query: { mobiles?: string[]; emails?: string[] }) => Promise<{
  byMobile: Map<string, string>;
  byEmail: Map<string, string>;
}>;

export interface UnresolvedPerson {
  code: string;
  name: string;
  mobile: string | null;
  email: string | null;
  reason: string;
}

export interface OpenIdResolution {
  /** person code → open_id for everyone looked up and found, or kept from the directory. */
  openIds: Map<string, string>;
  /** person codes whose stored open_id stays because the lookup itself failed (not "not found"). */
  keepStored: Set<string>;
  unresolved: UnresolvedPerson[];
  lookedUp: number;
}

/**
 * Finds open_ids for the people of an import that have none. A person already resolved earlier, with the same
 * mobile and email, keeps their open_id without a new lookup, so re-importing the same file costs no API calls.
 * Not finding someone is not an error: they are listed with the reason, and can be fixed and imported again.
 */
export async function resolveOpenIds(
  listed: PersonEntry[],
  state: DirectoryState,
  resolveUserIds: ResolveUserIds | undefined,
): Promise<OpenIdResolution> {
  const result: OpenIdResolution = { openIds: new Map(), keepStored: new Set(), unresolved: [], lookedUp: 0 };
  const pending: PersonEntry[] = [];
  for (const person of listed) {
    if (person.openId !== null) continue;
    const stored = state.people.get(person.code);
    if (stored?.openId && stored.mobile === person.mobile && stored.email === person.email) {
      result.openIds.set(person.code, stored.openId);
    } else if (person.mobile === null && person.email === null) {
      result.unresolved.push(unresolved(person, '没有手机号或邮箱，也没有飞书OpenID，无法找到飞书账号'));
    } else {
      pending.push(person);
    }
  }
  if (pending.length === 0) return result;
  if (!resolveUserIds) {
    for (const person of pending) {
      result.unresolved.push(unresolved(person, '未配置飞书应用（FEISHU_APP_ID），无法按手机号或邮箱查找飞书账号'));
    }
    return result;
  }

  const mobiles = [...new Set(pending.flatMap((p) => (p.mobile ? [p.mobile] : [])))];
  const emails = [...new Set(pending.flatMap((p) => (p.email ? [p.email] : [])))];
  result.lookedUp = pending.length;
  let found: Awaited<ReturnType<ResolveUserIds>>;
  try {
    found = await resolveUserIds({ mobiles, emails });
  } catch (error) {
    for (const person of pending) {
      result.keepStored.add(person.code);
      result.unresolved.push(unresolved(person, `飞书通讯录查询失败：${(error as Error).message}；稍后重新导入即可`));
    }
    return result;
  }
  for (const person of pending) {
    const openId =
      (person.mobile && found.byMobile.get(person.mobile)) || (person.email && found.byEmail.get(person.email));
    if (openId) {
      result.openIds.set(person.code, openId);
      continue;
    }
    const reason =
      person.mobile && person.email
        ? '手机号和邮箱均未在飞书通讯录中找到'
        : person.mobile
          ? '手机号未在飞书通讯录中找到'
          : '邮箱未在飞书通讯录中找到';
    result.unresolved.push(unresolved(person, `${reason}（请确认此人已加入企业飞书，且应用的通讯录权限范围包含此人）`));
  }
  return result;
}

function unresolved(person: PersonEntry, reason: string): UnresolvedPerson {
  return { code: person.code, name: person.name, mobile: person.mobile, email: person.email, reason };
}
