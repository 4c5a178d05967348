/**
 * Who is who in the directory, and where a unit sits: a Feishu user's person and roles (scopes as codes), a unit's
 * township path, department and key people, the inspectors over a unit. Read-only (store.ts writes the directory).
 * Every function takes `db` or a transaction first.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { people, regions, roleAssignments } from '../db/schema/index.js';
import {
  type PersonActor,
  personActor,
  type Role,
  type RoleAssignment,
  type Scope,
  type UnitContext,
} from '../domain/index.js';

export interface PersonRecord {
  id: number;
  code: string;
  name: string;
  openId: string | null;
  /** The directory's mobile, where the query read it (reminders reach people outside Feishu by SMS). */
  mobile?: string | null;
}

export interface DirectoryPerson extends PersonRecord {
  roles: RoleAssignment[];
}

/** The active person with this Feishu open_id, with their role assignments (scopes as codes); null if unknown. */
export async function findPersonByOpenId(db: Db, openId: string): Promise<DirectoryPerson | null> {
  // One round trip: every card click starts here.
  const [person] = rowsOf<PersonRecord & { roles: RoleRow[] | null }>(
    await db.execute(sql`
      select p.id, p.code, p.name, p.open_id as "openId",
        (select json_agg(json_build_object('role', ra.role, 'scope_kind', ra.scope_kind, 'code', ${scopeCode}))
           from role_assignments ra where ra.person_id = p.id) as roles
      from people p where p.open_id = ${openId} and p.active limit 1`),
  );
  if (!person) return null;
  return {
    id: Number(person.id),
    code: person.code,
    name: person.name,
    openId: person.openId,
    roles: toRoles(person.roles ?? []),
  };
}

type RoleRow = { role: string; scope_kind: string; code: string | null };

/** The code of a role assignment's scope (`ra`), for the queries that read assignments. */
const scopeCode = sql`case ra.scope_kind
  when 'region' then (select code from regions where id = ra.scope_id)
  when 'department' then (select code from departments where id = ra.scope_id)
  when 'enterprise' then (select code from enterprises where id = ra.scope_id)
end`;

function toRoles(rows: RoleRow[]): RoleAssignment[] {
  const roles: RoleAssignment[] = [];
  for (const row of rows) {
    let scope: Scope | null = null;
    if (row.scope_kind === 'county') scope = { kind: 'county' };
    else if (
      row.code &&
      (row.scope_kind === 'region' || row.scope_kind === 'department' || row.scope_kind === 'enterprise')
    )
      scope = { kind: row.scope_kind, code: row.code };
    if (scope) roles.push({ role: row.role as Role, scope });
  }
  return roles;
}

export async function roleAssignmentsOf(db: Db, personId: number): Promise<RoleAssignment[]> {
  const rows = await db.execute(sql`
    select ra.role, ra.scope_kind, ${scopeCode} as code from role_assignments ra where ra.person_id = ${personId}`);
  return toRoles(rowsOf<RoleRow>(rows));
}

export function actorOf(person: DirectoryPerson): PersonActor {
  return personActor(person.code, person.roles);
}

export interface UnitRecord {
  enterprise: { id: number; code: string; name: string; verified: boolean; sectors: string[] };
  region: { id: number; code: string; name: string };
  department: { id: number; code: string; name: string } | null;
  /** Region ids from the unit's own region up to the root (nearest first). */
  regionIdsUp: number[];
  /** The unit's key people, deactivated ones too (`active` false): a report still names them, its notice falls back. */
  principal: (PersonRecord & { active: boolean }) | null;
  safetyOfficer: (PersonRecord & { active: boolean }) | null;
  unit: UnitContext;
}

/** Where an enterprise sits (township path, department) and who answers for it; null when there is no such unit. */
export async function loadUnit(db: Db, where: { id: number } | { code: string }): Promise<UnitRecord | null> {
  // One round trip (every hazard action loads its unit): the enterprise, its region path, department and key people.
  const [row] = rowsOf<UnitRow>(
    await db.execute(sql`
      select e.id, e.code, e.name, e.verified, e.sectors, e.region_id,
        (with recursive up(id, code, name, parent_id, depth) as (
           select id, code, name, parent_id, 0 from regions where id = e.region_id
           union all
           select r.id, r.code, r.name, r.parent_id, up.depth + 1 from regions r join up on r.id = up.parent_id
           where up.depth < 32)
         select json_agg(json_build_object('id', id, 'code', code, 'name', name) order by depth) from up) as up,
        case when d.id is null then null else json_build_object('id', d.id, 'code', d.code, 'name', d.name) end
          as department,
        case when pp.id is null then null
          else json_build_object('id', pp.id, 'code', pp.code, 'name', pp.name, 'openId', pp.open_id, 'active', pp.active,
            'mobile', pp.mobile)
          end as principal,
        case when so.id is null then null
          else json_build_object('id', so.id, 'code', so.code, 'name', so.name, 'openId', so.open_id,
          'active', so.active, 'mobile', so.mobile) end as safety_officer
      from enterprises e
      left join departments d on d.id = e.department_id
      left join people pp on pp.id = e.principal_id
      left join people so on so.id = e.safety_officer_id
      where ${'id' in where ? sql`e.id = ${where.id}` : sql`e.code = ${where.code}`}
      limit 1`),
  );
  if (!row) return null;
  const up = (row.up ?? []).map((r) => ({ ...r, id: Number(r.id) }));
  const department = row.department ? { ...row.department, id: Number(row.department.id) } : null;
  const person = (p: (PersonRecord & { active: boolean }) | null) => (p ? { ...p, id: Number(p.id) } : null);
  const principal = person(row.principal);
  const safetyOfficer = person(row.safety_officer);
  const region = up[0] ?? { id: Number(row.region_id), code: '', name: '' };
  return {
    enterprise: { id: Number(row.id), code: row.code, name: row.name, verified: row.verified, sectors: row.sectors },
    region,
    department,
    regionIdsUp: up.map((r) => r.id),
    principal,
    safetyOfficer,
    unit: {
      enterpriseCode: row.code,
      regionPath: up.map((r) => r.code).reverse(),
      departmentCode: department?.code ?? null,
      principal: principal?.code ?? null,
      safetyOfficer: safetyOfficer?.code ?? null,
    },
  };
}

interface UnitRow {
  id: number;
  code: string;
  name: string;
  verified: boolean;
  sectors: string[];
  region_id: number;
  up: { id: number; code: string; name: string }[] | null;
  department: { id: number; code: string; name: string } | null;
  principal: (PersonRecord & { active: boolean }) | null;
  safety_officer: (PersonRecord & { active: boolean }) | null;
}

export async function peopleByIds(db: Db, ids: number[]): Promise<Map<number, PersonRecord>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .select({ id: people.id, code: people.code, name: people.name, openId: people.openId })
    .from(people)
    .where(inArray(people.id, unique));
  return new Map(rows.map((r) => [r.id, r]));
}

export async function peopleByCodes(db: Db, codes: string[]): Promise<Map<string, PersonRecord>> {
  const unique = [...new Set(codes)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .select({ id: people.id, code: people.code, name: people.name, openId: people.openId })
    .from(people)
    .where(inArray(people.code, unique));
  return new Map(rows.map((r) => [r.code, r]));
}

/** Person ids of every inspector of the unit's township (any region up the tree) or of its supervising department. */
export async function localInspectors(db: Db, unit: UnitRecord): Promise<PersonRecord[]> {
  const scopes = [];
  if (unit.regionIdsUp.length)
    scopes.push(and(eq(roleAssignments.scopeKind, 'region'), inArray(roleAssignments.scopeId, unit.regionIdsUp)));
  if (unit.department)
    scopes.push(and(eq(roleAssignments.scopeKind, 'department'), eq(roleAssignments.scopeId, unit.department.id)));
  if (scopes.length === 0) return [];
  const rows = await db
    .selectDistinct({ id: people.id, code: people.code, name: people.name, openId: people.openId })
    .from(roleAssignments)
    .innerJoin(people, eq(people.id, roleAssignments.personId))
    .where(and(eq(roleAssignments.role, 'inspector'), eq(people.active, true), sql`(${sql.join(scopes, sql` or `)})`));
  return rows.sort((a, b) => a.code.localeCompare(b.code));
}

/**
 * Who decides for the county and the supervising department (治): 安委办 over the unit and the department's leader
 * (挂牌督办 / 摘牌, `listing`); the department's inspectors and leader (停产停业 / 复产验收, `enforcement`) — the
 * county's inspectors for a unit without a supervising department.
 */
export async function authoritiesOver(
  db: Db,
  unit: UnitRecord,
  kind: 'listing' | 'enforcement',
): Promise<AuthorityPerson[]> {
  const held = (role: string, scopeKind: string, ids?: number[]) =>
    and(
      eq(roleAssignments.role, role),
      eq(roleAssignments.scopeKind, scopeKind),
      ...(ids ? [inArray(roleAssignments.scopeId, ids)] : []),
    );
  const scopes = [];
  if (unit.department) scopes.push(held('department_leader', 'department', [unit.department.id]));
  if (kind === 'listing') {
    scopes.push(held('county_safety_office', 'county'));
    if (unit.regionIdsUp.length) scopes.push(held('county_safety_office', 'region', unit.regionIdsUp));
  } else if (unit.department) {
    scopes.push(held('inspector', 'department', [unit.department.id]));
  } else {
    scopes.push(held('inspector', 'county'));
  }
  const rows = await db
    .selectDistinct({
      id: people.id,
      code: people.code,
      name: people.name,
      openId: people.openId,
      role: roleAssignments.role,
    })
    .from(roleAssignments)
    .innerJoin(people, eq(people.id, roleAssignments.personId))
    .where(and(eq(people.active, true), sql`(${sql.join(scopes, sql` or `)})`));
  const byId = new Map<number, AuthorityPerson>();
  for (const { role, ...person } of rows) {
    const known = byId.get(person.id) ?? { ...person, inspects: false };
    known.inspects ||= role === 'inspector';
    byId.set(person.id, known);
  }
  return [...byId.values()].sort((a, b) => a.code.localeCompare(b.code));
}

/** A decider (治), and whether they decide as an inspector (the department's own inspector) or as a leader. */
export type AuthorityPerson = PersonRecord & { inspects: boolean };

export async function regionByCode(db: Db, code: string) {
  const [row] = await db.select().from(regions).where(eq(regions.code, code)).limit(1);
  return row ?? null;
}
