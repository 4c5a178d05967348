/**
 * Rows ↔ the domain's Hazard: who a Feishu user is in the directory (with role scopes as codes), where a unit sits,
 * and loading/saving a hazard. Every function takes `db` or a transaction first.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import {
  departments,
  enterprises,
  hazardEvents,
  hazards,
  people,
  regions,
  roleAssignments,
} from '../db/schema/index.js';
import {
  type Hazard,
  type HazardEvent,
  type HazardGrade,
  type HazardStatus,
  type PersonActor,
  personActor,
  type Role,
  type RoleAssignment,
  type Scope,
  type SupervisionLevel,
  type UnitContext,
} from '../domain/index.js';

export type HazardRow = typeof hazards.$inferSelect;

export interface PersonRecord {
  id: number;
  code: string;
  name: string;
  openId: string | null;
}

export interface DirectoryPerson extends PersonRecord {
  roles: RoleAssignment[];
}

/** The active person with this Feishu open_id, with their role assignments (scopes as codes); null if unknown. */
export async function findPersonByOpenId(db: Db, openId: string): Promise<DirectoryPerson | null> {
  const [person] = await db
    .select({ id: people.id, code: people.code, name: people.name, openId: people.openId })
    .from(people)
    .where(and(eq(people.openId, openId), eq(people.active, true)))
    .limit(1);
  if (!person) return null;
  return { ...person, roles: await roleAssignmentsOf(db, person.id) };
}

export async function roleAssignmentsOf(db: Db, personId: number): Promise<RoleAssignment[]> {
  const rows = await db.execute<{ role: string; scope_kind: string; code: string | null }>(sql`
    select ra.role, ra.scope_kind,
      case ra.scope_kind
        when 'region' then (select code from regions where id = ra.scope_id)
        when 'department' then (select code from departments where id = ra.scope_id)
        when 'enterprise' then (select code from enterprises where id = ra.scope_id)
      end as code
    from role_assignments ra where ra.person_id = ${personId}`);
  const roles: RoleAssignment[] = [];
  for (const row of rowsOf<{ role: string; scope_kind: string; code: string | null }>(rows)) {
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

export function actorOf(person: DirectoryPerson): PersonActor {
  return personActor(person.code, person.roles);
}

export interface UnitRecord {
  enterprise: { id: number; code: string; name: string; verified: boolean; sectors: string[] };
  region: { id: number; code: string; name: string };
  department: { id: number; code: string; name: string } | null;
  /** Region ids from the unit's own region up to the root (nearest first). */
  regionIdsUp: number[];
  principal: PersonRecord | null;
  safetyOfficer: PersonRecord | null;
  unit: UnitContext;
}

/** Where an enterprise sits (township path, department) and who answers for it; null when there is no such unit. */
export async function loadUnit(db: Db, where: { id: number } | { code: string }): Promise<UnitRecord | null> {
  const [row] = await db
    .select()
    .from(enterprises)
    .where('id' in where ? eq(enterprises.id, where.id) : eq(enterprises.code, where.code))
    .limit(1);
  if (!row) return null;
  const up = rowsOf<{ id: number; code: string; name: string }>(
    await db.execute(sql`
      with recursive up(id, code, name, parent_id, depth) as (
        select id, code, name, parent_id, 0 from regions where id = ${row.regionId}
        union all
        select r.id, r.code, r.name, r.parent_id, up.depth + 1 from regions r join up on r.id = up.parent_id
        where up.depth < 32
      )
      select id, code, name from up order by depth`),
  ).map((r) => ({ ...r, id: Number(r.id) }));
  const [department] = row.departmentId
    ? await db
        .select({ id: departments.id, code: departments.code, name: departments.name })
        .from(departments)
        .where(eq(departments.id, row.departmentId))
    : [];
  const keyPeople = await peopleByIds(
    db,
    [row.principalId, row.safetyOfficerId].filter((id): id is number => id !== null),
  );
  const principal = row.principalId ? (keyPeople.get(row.principalId) ?? null) : null;
  const safetyOfficer = row.safetyOfficerId ? (keyPeople.get(row.safetyOfficerId) ?? null) : null;
  const region = up[0] ?? { id: row.regionId, code: '', name: '' };
  return {
    enterprise: { id: row.id, code: row.code, name: row.name, verified: row.verified, sectors: row.sectors },
    region,
    department: department ?? null,
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

/** A hazard as stored, as the domain sees it, and the people and unit around it. */
export interface HazardRecord {
  row: HazardRow;
  hazard: Hazard;
  unit: UnitRecord;
  /** Everyone the row names, by id. */
  people: Map<number, PersonRecord>;
}

/** Loads a hazard by code (`FOR UPDATE` inside a transaction when asked); null when there is none. */
export async function loadHazard(
  db: Db,
  code: string,
  options: { forUpdate?: boolean } = {},
): Promise<HazardRecord | null> {
  const query = db.select().from(hazards).where(eq(hazards.code, code)).limit(1);
  const [row] = options.forUpdate ? await query.for('update') : await query;
  if (!row) return null;
  const unit = await loadUnit(db, { id: row.enterpriseId });
  if (!unit) throw new Error(`hazard ${code} points at a missing enterprise ${row.enterpriseId}`);
  const named = [
    row.reporterId,
    row.responsibleId,
    row.rectifiedById,
    row.closedById,
    row.extensionRequestedById,
  ].filter((id): id is number => id !== null);
  const map = await peopleByIds(db, named);
  const codeOf = (id: number | null) => (id === null ? null : (map.get(id)?.code ?? null));
  const hazard: Hazard = {
    ...unit.unit,
    reporter: codeOf(row.reporterId)!,
    responsible: codeOf(row.responsibleId),
    rectifiedBy: codeOf(row.rectifiedById),
    grade: row.grade as HazardGrade,
    status: row.status as HazardStatus,
    reportedAt: row.reportedAt,
    assignedAt: row.assignedAt,
    acknowledgedAt: row.acknowledgedAt,
    deadline: row.deadline,
    deadlineSetAt: row.deadlineSetAt,
    supervision: row.supervision as SupervisionLevel,
    suspended: row.suspended,
    extensionRequest:
      row.extensionRequestedById && row.extensionDeadline && row.extensionRequestedAt
        ? {
            requestedBy: codeOf(row.extensionRequestedById)!,
            requestedAt: row.extensionRequestedAt,
            newDeadline: row.extensionDeadline,
            reason: row.extensionReason ?? '',
          }
        : null,
    rectifiedAt: row.rectifiedAt,
    closedAt: row.closedAt,
    closedBy: codeOf(row.closedById),
  };
  return { row, hazard, unit, people: map };
}

/** The columns a domain Hazard changes, resolved back to person ids through `idOf`. */
export function hazardColumns(hazard: Hazard, idOf: (code: string | null) => number | null) {
  return {
    status: hazard.status,
    responsibleId: idOf(hazard.responsible),
    rectifiedById: idOf(hazard.rectifiedBy),
    supervision: hazard.supervision,
    suspended: hazard.suspended,
    deadline: hazard.deadline,
    deadlineSetAt: hazard.deadlineSetAt,
    assignedAt: hazard.assignedAt,
    acknowledgedAt: hazard.acknowledgedAt,
    rectifiedAt: hazard.rectifiedAt,
    closedAt: hazard.closedAt,
    closedById: idOf(hazard.closedBy),
    extensionRequestedById: idOf(hazard.extensionRequest?.requestedBy ?? null),
    extensionRequestedAt: hazard.extensionRequest?.requestedAt ?? null,
    extensionDeadline: hazard.extensionRequest?.newDeadline ?? null,
    extensionReason: hazard.extensionRequest?.reason ?? null,
  };
}

/** Appends domain events to the audit trail. */
export async function insertEvents(
  db: Db,
  hazardId: number,
  events: HazardEvent[],
  idOf: (code: string | null) => number | null,
): Promise<void> {
  if (events.length === 0) return;
  await db.insert(hazardEvents).values(
    events.map((event) => {
      const { type, at, by, ...details } = event;
      return { hazardId, type, at, actorId: by === 'system' ? null : idOf(by), details };
    }),
  );
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

export async function regionByCode(db: Db, code: string) {
  const [row] = await db.select().from(regions).where(eq(regions.code, code)).limit(1);
  return row ?? null;
}

/** drizzle's execute answers an array (postgres.js) or `{ rows }` (PGlite). */
export function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}
