import { and, eq, inArray, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { enterprises, people, roleAssignments } from '../db/schema/index.js';
import type { Role, ScopeKind } from './model.js';

export interface ResponsiblePerson {
  code: string;
  name: string;
  /** null until the person is resolved in Feishu; callers cannot message them then. */
  openId: string | null;
}

export interface Responsibility {
  enterprise: { code: string; name: string; verified: boolean };
  /** 定责任人 by default: the principal, or the safety officer when so configured and there is one. */
  responsible: ResponsiblePerson | null;
  principal: ResponsiblePerson | null;
  safetyOfficer: ResponsiblePerson | null;
  /** 直接责任: the leaders in charge of the nearest region (the unit's township, or an ancestor) that has one. */
  townshipLeaderInCharge: ResponsiblePerson[];
  /** 第一责任人: likewise for main leaders. */
  townshipMainLeader: ResponsiblePerson[];
  /** 监管责任: the leaders of the unit's supervising department. */
  departmentLeader: ResponsiblePerson[];
  /** County leaders: scoped to the county, or (province deployment) to a region above the unit. */
  countyLeaders: ResponsiblePerson[];
  /** 县安委办: scoped like the county leaders. */
  countySafetyOffice: ResponsiblePerson[];
  /** Inspectors whose scope covers the unit: the county, its region or any ancestor, its department, the unit itself. */
  inspectors: ResponsiblePerson[];
}

export interface ResponsibilityOptions {
  responsible?: 'principal' | 'safety_officer';
}

/**
 * Who answers for a unit, along the legal chain of responsibility; used by hazards and escalation. Only active
 * people count. Returns null when there is no enterprise with that code.
 */
export async function resolveResponsibility(
  db: Db,
  enterpriseCode: string,
  options: ResponsibilityOptions = {},
): Promise<Responsibility | null> {
  const [enterprise] = await db.select().from(enterprises).where(eq(enterprises.code, enterpriseCode)).limit(1);
  if (!enterprise) return null;

  // The unit's region first, then its ancestors: position in this list is the distance up the tree.
  const ancestorRows = await db.execute<{ id: number }>(sql`
    with recursive up(id, parent_id, depth) as (
      select id, parent_id, 0 from regions where id = ${enterprise.regionId}
      union all
      select r.id, r.parent_id, up.depth + 1 from regions r join up on r.id = up.parent_id where up.depth < 32
    )
    select id from up order by depth`);
  const ancestors = rowsOf<{ id: number }>(ancestorRows).map((row) => Number(row.id));

  const scopeMatches = [eq(roleAssignments.scopeKind, 'county')];
  if (ancestors.length > 0) {
    scopeMatches.push(and(eq(roleAssignments.scopeKind, 'region'), inArray(roleAssignments.scopeId, ancestors))!);
  }
  if (enterprise.departmentId !== null) {
    scopeMatches.push(
      and(eq(roleAssignments.scopeKind, 'department'), eq(roleAssignments.scopeId, enterprise.departmentId))!,
    );
  }
  scopeMatches.push(and(eq(roleAssignments.scopeKind, 'enterprise'), eq(roleAssignments.scopeId, enterprise.id))!);

  const assignments = await db
    .select({
      role: roleAssignments.role,
      scopeKind: roleAssignments.scopeKind,
      scopeId: roleAssignments.scopeId,
      code: people.code,
      name: people.name,
      openId: people.openId,
    })
    .from(roleAssignments)
    .innerJoin(people, eq(people.id, roleAssignments.personId))
    .where(and(eq(people.active, true), or(...scopeMatches)));

  const keyPeople = [enterprise.principalId, enterprise.safetyOfficerId].filter((id): id is number => id !== null);
  const keyRows = keyPeople.length
    ? await db
        .select({ id: people.id, code: people.code, name: people.name, openId: people.openId })
        .from(people)
        .where(and(inArray(people.id, keyPeople), eq(people.active, true)))
    : [];
  const person = (id: number | null): ResponsiblePerson | null => {
    const row = keyRows.find((r) => r.id === id);
    return row ? { code: row.code, name: row.name, openId: row.openId } : null;
  };
  const principal = person(enterprise.principalId);
  const safetyOfficer = person(enterprise.safetyOfficerId);

  return {
    enterprise: { code: enterprise.code, name: enterprise.name, verified: enterprise.verified },
    responsible: options.responsible === 'safety_officer' ? (safetyOfficer ?? principal) : principal,
    principal,
    safetyOfficer,
    ...pickLeaders(
      assignments.map((a) => ({ ...a, role: a.role as Role, scopeKind: a.scopeKind as ScopeKind })),
      ancestors,
    ),
  };
}

interface Assignment extends ResponsiblePerson {
  role: Role;
  scopeKind: ScopeKind;
  scopeId: number;
}

/** The pure part of resolveResponsibility: assignments already limited to scopes that cover the unit. */
export function pickLeaders(
  assignments: Assignment[],
  ancestors: number[],
): Pick<
  Responsibility,
  | 'townshipLeaderInCharge'
  | 'townshipMainLeader'
  | 'departmentLeader'
  | 'countyLeaders'
  | 'countySafetyOffice'
  | 'inspectors'
> {
  const nearestRegion = (role: Role) => {
    const holders = assignments.filter((a) => a.role === role && a.scopeKind === 'region');
    for (const regionId of ancestors) {
      const here = holders.filter((a) => a.scopeId === regionId);
      if (here.length > 0) return distinct(here);
    }
    return [];
  };
  return {
    townshipLeaderInCharge: nearestRegion('township_leader_in_charge'),
    townshipMainLeader: nearestRegion('township_main_leader'),
    departmentLeader: distinct(assignments.filter((a) => a.role === 'department_leader')),
    countyLeaders: distinct(assignments.filter((a) => a.role === 'county_leader')),
    countySafetyOffice: distinct(assignments.filter((a) => a.role === 'county_safety_office')),
    inspectors: distinct(assignments.filter((a) => a.role === 'inspector')),
  };
}

function distinct(list: ResponsiblePerson[]): ResponsiblePerson[] {
  const byCode = new Map<string, ResponsiblePerson>();
  for (const p of list) if (!byCode.has(p.code)) byCode.set(p.code, { code: p.code, name: p.name, openId: p.openId });
  return [...byCode.values()].sort((a, b) => a.code.localeCompare(b.code));
}
