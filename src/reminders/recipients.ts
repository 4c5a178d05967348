/**
 * Who answers for a hazard along the chain of responsibility, resolved for a whole batch of hazards with a few
 * set-based queries (never one per hazard) and cached for the rest of the sweep.
 *
 * Keyed by (enterprise, region, department) as the hazard recorded them at report time: the township and the
 * supervising department of the hazard, the principal and safety officer of the unit.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { intArray, rowsOf } from '../db/rows.js';
import type { PersonRecord } from '../directory/lookup.js';
import type { Role, ScopeKind } from '../directory/model.js';
import { pickLeaders } from '../directory/responsibility.js';

export interface UnitResponsibility {
  /** The unit's name, for the cards. */
  enterpriseName: string;
  principal: PersonRecord | null;
  safetyOfficer: PersonRecord | null;
  townshipLeaderInCharge: PersonRecord[];
  townshipMainLeader: PersonRecord[];
  departmentLeader: PersonRecord[];
  countyLeaders: PersonRecord[];
  countySafetyOffice: PersonRecord[];
  inspectors: PersonRecord[];
  /** The group chat of the hazard's township (the nearest region up the tree that has one). */
  chatId: string | null;
}

export interface UnitKey {
  enterpriseId: number;
  regionId: number;
  departmentId: number | null;
}

const keyOf = (k: UnitKey) => `${k.enterpriseId}:${k.regionId}:${k.departmentId ?? ''}`;

const ROLES = [
  'township_leader_in_charge',
  'township_main_leader',
  'department_leader',
  'county_leader',
  'county_safety_office',
  'inspector',
];

const personOf = (r: {
  id: number;
  code: string;
  name: string;
  open_id: string | null;
  mobile: string | null;
}): PersonRecord => ({
  id: Number(r.id),
  code: r.code,
  name: r.name,
  openId: r.open_id,
  mobile: r.mobile,
});

/**
 * A per-sweep cache of the people hazards name (responsible person, reporter), so that the claim reads ids only:
 * a sweep meets the same few thousand people in hundreds of thousands of hazards.
 */
export class PeopleCache {
  private readonly people = new Map<number, PersonRecord & { active: boolean }>();

  /** The person (`active` false when deactivated), or null when unknown; `activeOnly` answers null for a deactivated one. */
  get(id: number | null, activeOnly = false): (PersonRecord & { active: boolean }) | null {
    if (id === null) return null;
    const person = this.people.get(id);
    return person && (person.active || !activeOnly) ? person : null;
  }

  /**
   * Reads the whole directory's people (up to a bound) before a big sweep: its batches then never wait for a
   * lookup. A county's directory is a few thousand people; past the bound, the rest are read batch by batch.
   */
  async prefetch(db: Db): Promise<void> {
    this.remember(
      await db.execute(
        sql`select id, code, name, open_id, mobile, active from people order by id limit ${PREFETCH_PEOPLE}`,
      ),
    );
  }

  /** Reads the ids not cached yet, in one query. */
  async load(db: Db, ids: Iterable<number | null>): Promise<void> {
    const missing = new Set<number>();
    for (const id of ids) if (id !== null && !this.people.has(id)) missing.add(id);
    if (missing.size === 0) return;
    this.remember(
      await db.execute(
        sql`select id, code, name, open_id, mobile, active from people where id = any(${intArray(missing)}::int[])`,
      ),
    );
  }

  private remember(result: unknown): void {
    const rows = rowsOf<{
      id: number;
      code: string;
      name: string;
      open_id: string | null;
      mobile: string | null;
      active: boolean;
    }>(result);
    for (const row of rows) this.people.set(Number(row.id), { ...personOf(row), active: row.active });
  }
}

/** A per-sweep cache of unit responsibilities. */
export class ResponsibilityCache {
  private readonly units = new Map<string, UnitResponsibility>();

  get(key: UnitKey): UnitResponsibility | undefined {
    return this.units.get(keyOf(key));
  }

  /** Resolves every key not yet cached, in four queries whatever their number. */
  async load(db: Db, keys: UnitKey[]): Promise<void> {
    const missing = new Map<string, UnitKey>();
    for (const key of keys) if (!this.units.has(keyOf(key))) missing.set(keyOf(key), key);
    if (missing.size === 0) return;
    const list = [...missing.values()];
    const regionIds = new Set(list.map((k) => k.regionId));
    const departmentIds = new Set(list.flatMap((k) => (k.departmentId === null ? [] : [k.departmentId])));
    const enterpriseIds = new Set(list.map((k) => k.enterpriseId));

    // Every region's ancestors (itself first), with the group chats on the way up.
    const ancestorRows = rowsOf<{ start_id: number; id: number; depth: number; chat_id: string | null }>(
      await db.execute(sql`
        with recursive up(start_id, id, parent_id, depth, chat_id) as (
          select id, id, parent_id, 0, chat_id from regions where id = any(${intArray(regionIds)}::int[])
          union all
          select up.start_id, r.id, r.parent_id, up.depth + 1, r.chat_id
          from regions r join up on r.id = up.parent_id where up.depth < 32
        )
        select start_id, id, depth, chat_id from up order by start_id, depth`),
    );
    const ancestors = new Map<number, number[]>();
    const chats = new Map<number, string | null>();
    for (const row of ancestorRows) {
      const start = Number(row.start_id);
      const list = ancestors.get(start) ?? [];
      list.push(Number(row.id));
      ancestors.set(start, list);
      if (!chats.get(start) && row.chat_id) chats.set(start, row.chat_id);
    }
    const allRegions = new Set([...ancestors.values()].flat());

    const assignments = rowsOf<{
      role: string;
      scope_kind: string;
      scope_id: number;
      id: number;
      code: string;
      name: string;
      open_id: string | null;
      mobile: string | null;
    }>(
      await db.execute(sql`
        select ra.role, ra.scope_kind, ra.scope_id, p.id, p.code, p.name, p.open_id, p.mobile
        from role_assignments ra join people p on p.id = ra.person_id
        where p.active and ra.role = any(${`{${ROLES.join(',')}}`}::text[]) and (
          ra.scope_kind = 'county'
          or (ra.scope_kind = 'region' and ra.scope_id = any(${intArray(allRegions)}::int[]))
          or (ra.scope_kind = 'department' and ra.scope_id = any(${intArray(departmentIds)}::int[]))
          or (ra.scope_kind = 'enterprise' and ra.scope_id = any(${intArray(enterpriseIds)}::int[])))`),
    );

    const keyPeople = rowsOf<{
      enterprise_id: number;
      kind: 'principal' | 'safety_officer';
      id: number;
      code: string;
      name: string;
      open_id: string | null;
      mobile: string | null;
    }>(
      await db.execute(sql`
        select e.id as enterprise_id, k.kind, p.id, p.code, p.name, p.open_id, p.mobile
        from enterprises e
        cross join lateral (values ('principal', e.principal_id), ('safety_officer', e.safety_officer_id)) k(kind, person_id)
        join people p on p.id = k.person_id and p.active
        where e.id = any(${intArray(enterpriseIds)}::int[])`),
    );
    const enterprises = new Map(
      rowsOf<{ id: number; name: string }>(
        await db.execute(sql`select id, name from enterprises where id = any(${intArray(enterpriseIds)}::int[])`),
      ).map((e) => [Number(e.id), e]),
    );
    const keyPerson = new Map<string, PersonRecord>();
    for (const k of keyPeople) keyPerson.set(`${Number(k.enterprise_id)}:${k.kind}`, personOf(k));
    const byPersonCode = new Map<string, PersonRecord>();
    for (const a of assignments) byPersonCode.set(a.code, personOf(a));

    for (const [mapKey, key] of missing) {
      const up = ancestors.get(key.regionId) ?? [key.regionId];
      const upSet = new Set(up);
      const covering = assignments
        .filter(
          (a) =>
            a.scope_kind === 'county' ||
            (a.scope_kind === 'region' && upSet.has(Number(a.scope_id))) ||
            (a.scope_kind === 'department' && Number(a.scope_id) === key.departmentId) ||
            (a.scope_kind === 'enterprise' && Number(a.scope_id) === key.enterpriseId),
        )
        .map((a) => ({
          role: a.role as Role,
          scopeKind: a.scope_kind as ScopeKind,
          scopeId: Number(a.scope_id),
          code: a.code,
          name: a.name,
          openId: a.open_id,
        }));
      const leaders = pickLeaders(covering, up);
      const withId = (list: { code: string }[]) => list.map((p) => byPersonCode.get(p.code)!).filter(Boolean);
      const enterprise = enterprises.get(key.enterpriseId);
      this.units.set(mapKey, {
        enterpriseName: enterprise?.name ?? '',
        principal: keyPerson.get(`${key.enterpriseId}:principal`) ?? null,
        safetyOfficer: keyPerson.get(`${key.enterpriseId}:safety_officer`) ?? null,
        townshipLeaderInCharge: withId(leaders.townshipLeaderInCharge),
        townshipMainLeader: withId(leaders.townshipMainLeader),
        departmentLeader: withId(leaders.departmentLeader),
        countyLeaders: withId(leaders.countyLeaders),
        countySafetyOffice: withId(leaders.countySafetyOffice),
        inspectors: withId(leaders.inspectors),
        chatId: chats.get(key.regionId) ?? null,
      });
    }
  }
}

/** People prefetched at most per sweep (see PeopleCache.prefetch). */
const PREFETCH_PEOPLE = 100_000;

/** Units prefetched at most per sweep; the rest are loaded batch by batch. */
const PREFETCH_UNITS = 10_000;

/**
 * The units of the hazards a sweep will read (its sources' conditions on `hazards h`), read before the sweep so that
 * its batches find them cached: a batch holds the hazards of one or two units (windows are regrouped by unit), and
 * loading each unit in its own batch would cost a round trip per batch. The department is the unit's current one,
 * which is the hazard's in all but rare cases (those are loaded when met).
 */
export async function dueUnits(db: Db, sources: SQL[]): Promise<UnitKey[]> {
  const units = sql.join(
    sources.map((where) => sql`(select h.region_id, h.enterprise_id from hazards h where ${where})`),
    sql` union `,
  );
  const rows = rowsOf<{ enterprise_id: number; region_id: number; department_id: number | null }>(
    await db.execute(sql`
      select u.enterprise_id, u.region_id, e.department_id
      from (${units}) u
      join enterprises e on e.id = u.enterprise_id
      limit ${PREFETCH_UNITS}`),
  );
  return rows.map((r) => ({
    enterpriseId: Number(r.enterprise_id),
    regionId: Number(r.region_id),
    departmentId: r.department_id === null ? null : Number(r.department_id),
  }));
}
