/**
 * The hazards' repository: the one writer of `hazards`, `hazard_events` and `hazard_counters` — their columns,
 * versions and trail — and rows ↔ the domain's Hazard. Every function takes `db` or a transaction first.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { hazardCounters, hazardEvents, hazards, people, regions, roleAssignments } from '../db/schema/index.js';
import {
  type EventActor,
  formatHazardCode,
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
  principal: PersonRecord | null;
  safetyOfficer: PersonRecord | null;
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
          else json_build_object('id', pp.id, 'code', pp.code, 'name', pp.name, 'openId', pp.open_id) end as principal,
        case when so.id is null then null
          else json_build_object('id', so.id, 'code', so.code, 'name', so.name, 'openId', so.open_id) end
          as safety_officer
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
  const person = (p: PersonRecord | null) => (p ? { ...p, id: Number(p.id) } : null);
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
  principal: PersonRecord | null;
  safety_officer: PersonRecord | null;
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

/**
 * Codes of the hazards still being rectified (or awaiting verification) that this person's own trail entries touched
 * since `since`, most recently touched first: where a photo they send now belongs.
 */
export async function rectifyingHazardsTouchedBy(db: Db, personId: number, since: Date): Promise<string[]> {
  const rows = rowsOf<{ code: string }>(
    await db.execute(sql`
      select h.code from (
        select hazard_id, max(id) as last from hazard_events
        where actor_id = ${personId} and at >= ${since.toISOString()}::timestamptz
        group by hazard_id order by max(id) desc limit 20) recent
      join hazards h on h.id = recent.hazard_id
      where h.status in ('rectifying', 'pending_verification')
      order by recent.last desc`),
  );
  return rows.map((r) => r.code);
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

/** A trail entry: a domain event, or one the trail keeps beyond the state machine (evidence added). */
export type TrailEvent =
  | HazardEvent
  | { type: 'photo_added'; at: Date; by: EventActor; stage: 'report' | 'rectification'; count: number };

/** A trail entry as its `hazard_events` row: the one serialiser of the trail. */
function trailRow(hazardId: number, event: TrailEvent, idOf: (code: string | null) => number | null) {
  const { type, at, by, ...details } = event;
  return { hazardId, type, at, actorId: by === 'system' ? null : idOf(by), details };
}

/** Appends events to the audit trail. */
export async function insertEvents(
  db: Db,
  hazardId: number,
  events: TrailEvent[],
  idOf: (code: string | null) => number | null,
): Promise<void> {
  if (events.length === 0) return;
  await db.insert(hazardEvents).values(events.map((event) => trailRow(hazardId, event, idOf)));
}

/** Takes the next number of `year`: no gaps (a rolled-back report gives it back), no duplicates (row lock). */
export async function nextHazardNumber(
  db: Db,
  year: number,
): Promise<{ year: number; sequence: number; code: string }> {
  await db.insert(hazardCounters).values({ year, lastSequence: 0 }).onConflictDoNothing();
  const [row] = await db
    .update(hazardCounters)
    .set({ lastSequence: sql`${hazardCounters.lastSequence} + 1` })
    .where(eq(hazardCounters.year, year))
    .returning({ sequence: hazardCounters.lastSequence });
  const sequence = row!.sequence;
  return { year, sequence, code: formatHazardCode(year, sequence) };
}

/** What a report records beyond the domain state: where, what, and the four 定 as typed. */
export interface ReportedDetails {
  sector: string;
  description: string;
  location: string;
  measures: string;
  standard: string;
  basis: string | null;
  governancePlan: HazardRow['governancePlan'];
}

/** Registers a reported hazard (登记建档) with its trail; returns its id. */
export async function insertHazard(
  tx: Db,
  input: {
    number: { code: string; year: number; sequence: number };
    unit: UnitRecord;
    reporterId: number;
    details: ReportedDetails;
    hazard: Hazard;
    events: HazardEvent[];
    idOf: (code: string | null) => number | null;
    now: Date;
  },
): Promise<number> {
  const { number, unit, hazard, now } = input;
  const [row] = await tx
    .insert(hazards)
    .values({
      code: number.code,
      year: number.year,
      sequence: number.sequence,
      enterpriseId: unit.enterprise.id,
      regionId: unit.region.id,
      departmentId: unit.department?.id ?? null,
      ...input.details,
      grade: hazard.grade,
      reporterId: input.reporterId,
      reportedAt: hazard.reportedAt,
      ...hazardColumns(hazard, input.idOf),
      createdAt: now,
      updatedAt: now,
    })
    .returning({ id: hazards.id });
  await insertEvents(tx, row!.id, input.events, input.idOf);
  return row!.id;
}

/**
 * Stores the hazard's new domain state (a new version) and the events that led to it; `rectification` is what the
 * rectifier wrote, when the change is a submission. Returns the row as stored.
 */
export async function saveHazard(
  tx: Db,
  input: {
    id: number;
    hazard: Hazard;
    events: HazardEvent[];
    idOf: (code: string | null) => number | null;
    now: Date;
    rectification?: string;
  },
): Promise<HazardRow> {
  const [row] = await tx
    .update(hazards)
    .set({
      ...hazardColumns(input.hazard, input.idOf),
      ...(input.rectification !== undefined ? { rectification: input.rectification } : {}),
      version: sql`${hazards.version} + 1`,
      updatedAt: input.now,
    })
    .where(eq(hazards.id, input.id))
    .returning();
  await insertEvents(tx, input.id, input.events, input.idOf);
  return row!;
}

/**
 * Locks these hazards' rows (in id order, so that concurrent lockers never wait on each other in a circle), waiting
 * at most `lockTimeout` for a row someone holds; answers each one's supervision as it is now.
 */
export async function lockHazardsForUpdate(
  tx: Db,
  ids: number[],
  lockTimeout: string,
): Promise<Map<number, SupervisionLevel>> {
  if (!/^\d+(ms|s)$/.test(lockTimeout)) throw new Error(`not a lock timeout: ${lockTimeout}`);
  await tx.execute(sql`set local lock_timeout = ${sql.raw(`'${lockTimeout}'`)}`);
  const rows = rowsOf<{ id: number; supervision: string }>(
    await tx.execute(sql`select id, supervision from hazards where id = any(${`{${ids.join(',')}}`}::int[])
      order by id for update`),
  );
  return new Map(rows.map((r) => [Number(r.id), r.supervision as SupervisionLevel]));
}

/** A raise of supervision by the escalation policy (督办): the hazard, the levels, and the step that asked for it. */
export interface SupervisionRaise {
  hazardId: number;
  from: SupervisionLevel;
  to: 'township' | 'county';
  reason: string;
  step: string;
}

/**
 * Raises the supervision of many hazards at once, as the service, each with its trail event (set-based: a sweep
 * after downtime raises thousands). The caller holds the rows (lockHazardsForUpdate). Returns how many changed.
 */
export async function raiseSupervisionOfMany(tx: Db, raises: SupervisionRaise[], at: Date): Promise<number> {
  const rows = raises.map((r) => {
    const event: HazardEvent = {
      type: 'supervision_raised',
      at,
      by: 'system',
      from: r.from,
      to: r.to,
      reason: r.reason,
      step: r.step,
    };
    const row = trailRow(r.hazardId, event, () => null);
    return { hazard_id: r.hazardId, level: r.to, type: row.type, details: row.details };
  });
  const changed = rowsOf<{ id: number }>(
    await tx.execute(sql`
      with x as (
        select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          as x(hazard_id int, level text, type text, details jsonb)),
      upd as (
        update hazards h set supervision = x.level, version = h.version + 1, updated_at = ${at.toISOString()}::timestamptz
        from x where h.id = x.hazard_id returning h.id)
      insert into hazard_events (hazard_id, type, actor_id, at, details)
      select x.hazard_id, x.type, null, ${at.toISOString()}::timestamptz, x.details from x join upd on upd.id = x.hazard_id
      returning hazard_id as id`),
  );
  return changed.length;
}

/** Moves every hazard of unit `fromId` to unit `toId` (a merged unit); region and department stay as reported. */
export async function moveHazardsToEnterprise(tx: Db, fromId: number, toId: number): Promise<number> {
  const moved = await tx
    .update(hazards)
    .set({ enterpriseId: toId, version: sql`${hazards.version} + 1` })
    .where(eq(hazards.enterpriseId, fromId))
    .returning({ id: hazards.id });
  return moved.length;
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
