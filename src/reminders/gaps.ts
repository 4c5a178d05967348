/**
 * The directory's gaps (名录缺口): every role a reminder addresses that resolves to nobody the bot can reach, so that
 * the step falls back up the chain (src/domain/fallback-chain.ts). Listed for the admin (`GET
 * /api/admin/directory/gaps`) and counted in the county leaders' digest until the directory is completed.
 *
 * Resolved as the sweep resolves them (ResponsibilityCache in recipients.ts): the township leaders of the nearest
 * region up the tree that has active holders, the department's leaders, the county leaders over the county or a
 * region above the unit, the unit's principal and safety officer, and each open hazard's responsible person; reachable
 * is `canReach` (reach.ts). Set-based: six queries whatever the size of the county, the rest in memory.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { intArray, rowsOf } from '../db/rows.js';
import type { EscalationPolicy, Recipient } from '../domain/index.js';
import { RECIPIENTS } from '../domain/index.js';
import { canReach, type ReachOptions } from './reach.js';
import { RECIPIENT_LABELS } from './sweep/compose.js';

export type GapScopeKind = 'county' | 'department' | 'region' | 'enterprise';

export interface GapHolder {
  code: string;
  name: string;
  reason: 'inactive' | 'no_open_id';
}

export interface DirectoryGap {
  scope: { kind: GapScopeKind; code: string; name: string };
  role: Recipient;
  roleLabel: string;
  /** Who holds the role and why the bot cannot reach them; empty when nobody holds it (空缺). */
  holders: GapHolder[];
  /** Open hazards (status not closed) whose reminders to this role fall back. */
  openHazards: number;
}

export interface DirectoryGaps {
  total: number;
  gaps: DirectoryGap[];
}

/**
 * The roles whose gaps matter: those the policy's steps address, and `responsible`, which the report's rectification
 * notice always addresses. A role no step names never makes a fallback happen.
 */
export function addressedRoles(policy: Pick<EscalationPolicy, 'steps'>): Set<Recipient> {
  return new Set<Recipient>(['responsible', ...policy.steps.flatMap((step) => step.who)]);
}

interface PersonRow {
  id: number;
  code: string;
  name: string;
  open_id: string | null;
  mobile: string | null;
  active: boolean;
}
const holderOf = (p: PersonRow): GapHolder => ({
  code: p.code,
  name: p.name,
  reason: p.active ? 'no_open_id' : 'inactive',
});
/** The holders as a gap names them, once each, by code; empty when none holds the role. */
const holdersOf = (people: PersonRow[]): GapHolder[] => {
  const byCode = new Map(people.map((p) => [p.code, holderOf(p)]));
  return [...byCode.values()].sort((a, b) => a.code.localeCompare(b.code));
};

const TOWNSHIP_ROLES = ['township_leader_in_charge', 'township_main_leader'] as const;
const LEADER_ROLES = [...TOWNSHIP_ROLES, 'department_leader', 'county_leader'];
const KIND_ORDER: GapScopeKind[] = ['county', 'department', 'region', 'enterprise'];
/** Bound of the walk up the region tree, as the sweep's (a cycle in bad data must not hang it). */
const MAX_DEPTH = 32;

/** Every gap, most open hazards first. */
export async function findDirectoryGaps(
  db: Db,
  policy: Pick<EscalationPolicy, 'steps'>,
  reach: ReachOptions = { sms: false },
): Promise<DirectoryGaps> {
  const roles = addressedRoles(policy);
  // With an SMS gateway, a person outside Feishu with a mobile is reached by SMS: no gap.
  const reachable = (p: PersonRow) => canReach({ openId: p.open_id, active: p.active, mobile: p.mobile }, reach);

  // Open hazards by the keys the sweep resolves them by (the township and department recorded at report time).
  const open = rowsOf<{
    enterprise_id: number;
    region_id: number;
    department_id: number | null;
    responsible_id: number | null;
    n: number;
  }>(
    await db.execute(sql`
      select enterprise_id, region_id, department_id, responsible_id, count(*)::int as n
      from hazards where status <> 'closed'
      group by enterprise_id, region_id, department_id, responsible_id`),
  ).map((r) => ({
    enterprise: Number(r.enterprise_id),
    region: Number(r.region_id),
    department: r.department_id === null ? null : Number(r.department_id),
    responsible: r.responsible_id === null ? null : Number(r.responsible_id),
    n: Number(r.n),
  }));
  const hazardUnits = new Set(open.map((h) => h.enterprise));

  // The units a reminder may be about: every active one, and any other that still has open hazards.
  const units = rowsOf<{
    id: number;
    code: string;
    name: string;
    region_id: number;
    department_id: number | null;
    principal_id: number | null;
    safety_officer_id: number | null;
  }>(
    await db.execute(sql`
      select id, code, name, region_id, department_id, principal_id, safety_officer_id from enterprises
      where active or id = any(${intArray(hazardUnits)}::int[])`),
  );
  const regions = new Map(
    rowsOf<{ id: number; code: string; name: string; parent_id: number | null }>(
      await db.execute(sql`select id, code, name, parent_id from regions`),
    ).map((r) => [
      Number(r.id),
      { code: r.code, name: r.name, parent: r.parent_id === null ? null : Number(r.parent_id) },
    ]),
  );
  const departments = new Map(
    rowsOf<{ id: number; code: string; name: string }>(
      await db.execute(sql`select id, code, name from departments`),
    ).map((d) => [Number(d.id), d]),
  );
  // Leaders' assignments with their people, deactivated ones too: a gap names who held the role.
  const assignments = rowsOf<PersonRow & { role: string; scope_kind: string; scope_id: number }>(
    await db.execute(sql`
      select ra.role, ra.scope_kind, ra.scope_id, p.id, p.code, p.name, p.open_id, p.mobile, p.active
      from role_assignments ra join people p on p.id = ra.person_id
      where ra.role = any(${`{${LEADER_ROLES.join(',')}}`}::text[])`),
  );
  // The unit's key people and the hazards' responsible people.
  const personIds = new Set<number>();
  for (const h of open) if (h.responsible !== null) personIds.add(h.responsible);
  for (const u of units) {
    if (u.principal_id !== null) personIds.add(Number(u.principal_id));
    if (u.safety_officer_id !== null) personIds.add(Number(u.safety_officer_id));
  }
  const people = new Map(
    rowsOf<PersonRow>(
      await db.execute(
        sql`select id, code, name, open_id, mobile, active from people where id = any(${intArray(personIds)}::int[])`,
      ),
    ).map((p) => [Number(p.id), p]),
  );

  const gaps: DirectoryGap[] = [];
  const gap = (scope: DirectoryGap['scope'], role: Recipient, holders: PersonRow[], openHazards: number) =>
    gaps.push({ scope, role, roleLabel: RECIPIENT_LABELS[role], holders: holdersOf(holders), openHazards });
  const add = (counts: Map<number, number>, key: number, n: number) => counts.set(key, (counts.get(key) ?? 0) + n);

  const openByRegion = new Map<number, number>();
  const openByDepartment = new Map<number, number>();
  const openByUnit = new Map<number, number>();
  const openWithoutDepartment = new Map<number, number>();
  for (const h of open) {
    add(openByRegion, h.region, h.n);
    add(openByUnit, h.enterprise, h.n);
    if (h.department === null) add(openWithoutDepartment, h.enterprise, h.n);
    else add(openByDepartment, h.department, h.n);
  }
  const regionIds = new Set([...units.map((u) => Number(u.region_id)), ...openByRegion.keys()]);
  const ancestors = (id: number): number[] => {
    const up: number[] = [];
    for (let at: number | null = id; at !== null && up.length <= MAX_DEPTH; at = regions.get(at)?.parent ?? null) {
      up.push(at);
    }
    return up;
  };
  const regionScope = (id: number) => ({
    kind: 'region' as const,
    code: regions.get(id)?.code ?? '',
    name: regions.get(id)?.name ?? '',
  });

  // Townships: the holders of the nearest region up the tree that has active ones (pickLeaders), else, to name
  // whom the directory still lists, the deactivated holders of the nearest region that has any.
  for (const role of TOWNSHIP_ROLES) {
    if (!roles.has(role)) continue;
    const byRegion = new Map<number, PersonRow[]>();
    for (const a of assignments) {
      if (a.role !== role || a.scope_kind !== 'region') continue;
      byRegion.set(Number(a.scope_id), [...(byRegion.get(Number(a.scope_id)) ?? []), a]);
    }
    for (const regionId of regionIds) {
      const up = ancestors(regionId);
      const nearest = (keep: (p: PersonRow) => boolean) =>
        up.map((id) => (byRegion.get(id) ?? []).filter(keep)).find((list) => list.length > 0) ?? [];
      const active = nearest((p) => p.active);
      if (active.some(reachable)) continue;
      gap(regionScope(regionId), role, active.length ? active : nearest(() => true), openByRegion.get(regionId) ?? 0);
    }
  }

  if (roles.has('department_leader')) {
    const departmentIds = new Set([
      ...units.flatMap((u) => (u.department_id === null ? [] : [Number(u.department_id)])),
      ...openByDepartment.keys(),
    ]);
    for (const departmentId of departmentIds) {
      const holders = assignments.filter(
        (a) => a.role === 'department_leader' && a.scope_kind === 'department' && Number(a.scope_id) === departmentId,
      );
      const active = holders.filter((p) => p.active);
      if (active.some(reachable)) continue;
      const department = departments.get(departmentId);
      gap(
        { kind: 'department', code: department?.code ?? '', name: department?.name ?? '' },
        'department_leader',
        active.length ? active : holders,
        openByDepartment.get(departmentId) ?? 0,
      );
    }
    // A unit with no supervising department has no department leader at all.
    for (const u of units) {
      if (u.department_id !== null) continue;
      const unitId = Number(u.id);
      gap(unitScope(u), 'department_leader', [], openWithoutDepartment.get(unitId) ?? 0);
    }
  }

  if (roles.has('county_leader')) {
    // Over a unit: county leaders of the county, or (a province deployment) of a region above it.
    const countyWide = assignments.filter((a) => a.role === 'county_leader' && a.scope_kind === 'county');
    let affected = 0;
    let anyRegion = false;
    const unreachable: PersonRow[] = [];
    for (const regionId of regionIds) {
      const up = new Set(ancestors(regionId));
      const covering = [
        ...countyWide,
        ...assignments.filter(
          (a) => a.role === 'county_leader' && a.scope_kind === 'region' && up.has(Number(a.scope_id)),
        ),
      ];
      const active = covering.filter((p) => p.active);
      if (active.some(reachable)) continue;
      anyRegion = true;
      affected += openByRegion.get(regionId) ?? 0;
      unreachable.push(...(active.length ? active : covering));
    }
    if (anyRegion) gap({ kind: 'county', code: 'county', name: '全县' }, 'county_leader', unreachable, affected);
  }

  // The unit's key people, as the unit lists them now (a deactivated one resolves to nobody).
  for (const [role, column] of [
    ['enterprise_principal', 'principal_id'],
    ['enterprise_safety_officer', 'safety_officer_id'],
  ] as const) {
    if (!roles.has(role)) continue;
    for (const u of units) {
      const id = u[column];
      const person = id === null ? undefined : people.get(Number(id));
      if (person && reachable(person)) continue;
      gap(unitScope(u), role, person ? [person] : [], openByUnit.get(Number(u.id)) ?? 0);
    }
  }

  // Each open hazard's responsible person: deactivated, without Feishu, or nobody assigned yet.
  const unitsById = new Map(units.map((u) => [Number(u.id), u]));
  const responsibleGaps = new Map<number, { holders: PersonRow[]; n: number }>();
  for (const h of open) {
    const person = h.responsible === null ? undefined : people.get(h.responsible);
    if (person && reachable(person)) continue;
    const entry = responsibleGaps.get(h.enterprise) ?? { holders: [], n: 0 };
    if (person) entry.holders.push(person);
    entry.n += h.n;
    responsibleGaps.set(h.enterprise, entry);
  }
  for (const [unitId, { holders, n }] of responsibleGaps) {
    const unit = unitsById.get(unitId);
    gap(unit ? unitScope(unit) : { kind: 'enterprise', code: '', name: '' }, 'responsible', holders, n);
  }

  const roleOrder = (role: Recipient) => RECIPIENTS.indexOf(role);
  gaps.sort(
    (a, b) =>
      b.openHazards - a.openHazards ||
      KIND_ORDER.indexOf(a.scope.kind) - KIND_ORDER.indexOf(b.scope.kind) ||
      a.scope.code.localeCompare(b.scope.code) ||
      roleOrder(a.role) - roleOrder(b.role),
  );
  return { total: gaps.length, gaps };
}

function unitScope(u: { code: string; name: string }): DirectoryGap['scope'] {
  return { kind: 'enterprise', code: u.code, name: u.name };
}
