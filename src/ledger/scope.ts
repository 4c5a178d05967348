/**
 * Who sees which hazards (可见范围). One rule for chat and HTTP alike:
 * - a role over the county sees every hazard;
 * - `region:<code>` sees hazards of that region and of every region below it;
 * - `department:<code>` sees hazards whose supervising department is that one;
 * - `enterprise:<code>` sees that unit's hazards;
 * - and a person always sees the hazards they are responsible for or reported.
 * Nothing else: a person without roles sees only their own hazards, an unknown person nothing.
 */
import { and, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { departments, enterprises, hazards, people, regions, roleAssignments, tips } from '../db/schema/index.js';
import type { Scope } from '../directory/model.js';

/** A scope resolved to row ids, ready to become a SQL condition. */
export interface ResolvedScope {
  /** Sees everything (a county-wide role, or a read token without `?scope=`). */
  county: boolean;
  /** Regions seen, descendants included. */
  regionIds: number[];
  departmentIds: number[];
  enterpriseIds: number[];
  /** The person whose own hazards (responsible or reporter) are always visible; null for API tokens. */
  personId: number | null;
}

export interface Viewer {
  personId: number;
  code: string;
  name: string;
  openId: string | null;
  scope: ResolvedScope;
  /** The roles held, e.g. for choosing which statistics to offer. */
  roles: { role: string; scopeKind: string; scopeId: number }[];
}

export const COUNTY_SCOPE: ResolvedScope = Object.freeze({
  county: true,
  regionIds: [],
  departmentIds: [],
  enterpriseIds: [],
  personId: null,
}) as ResolvedScope;

/** The SQL condition on `hazards` for a scope. Pure: no I/O. */
export function scopeCondition(scope: ResolvedScope): SQL {
  if (scope.county) return sql`true`;
  const parts: SQL[] = [];
  if (scope.regionIds.length) parts.push(inArray(hazards.regionId, scope.regionIds));
  if (scope.departmentIds.length) parts.push(inArray(hazards.departmentId, scope.departmentIds));
  if (scope.enterpriseIds.length) parts.push(inArray(hazards.enterpriseId, scope.enterpriseIds));
  if (scope.personId !== null) {
    parts.push(eq(hazards.responsibleId, scope.personId), eq(hazards.reporterId, scope.personId));
  }
  if (parts.length === 0) return sql`false`;
  return parts.length === 1 ? parts[0]! : or(...parts)!;
}

/**
 * The SQL condition on `tips` for a scope: the tip's township, its unit, or its unit's supervising department. A
 * person's own scope (their hazards) holds no tips.
 */
export function tipScopeCondition(scope: ResolvedScope): SQL {
  if (scope.county) return sql`true`;
  const parts: SQL[] = [];
  if (scope.regionIds.length) parts.push(inArray(tips.regionId, scope.regionIds));
  if (scope.enterpriseIds.length) parts.push(inArray(tips.enterpriseId, scope.enterpriseIds));
  if (scope.departmentIds.length) {
    parts.push(
      sql`${tips.enterpriseId} in (select id from enterprises where department_id in (${sql.join(
        scope.departmentIds.map((id) => sql`${id}`),
        sql`, `,
      )}))`,
    );
  }
  if (parts.length === 0) return sql`false`;
  return parts.length === 1 ? parts[0]! : or(...parts)!;
}

/** Every region id below the given ones, themselves included (the region tree is small: read it whole). */
export async function withDescendantRegions(db: Db, rootIds: readonly number[]): Promise<number[]> {
  if (rootIds.length === 0) return [];
  return descendantsOf(await regionChildren(db), rootIds);
}

/** The region tree as parent id → child ids, read whole: for callers that ask for the regions below many roots. */
export async function regionChildren(db: Db): Promise<Map<number, number[]>> {
  const rows = await db.select({ id: regions.id, parentId: regions.parentId }).from(regions);
  const children = new Map<number, number[]>();
  for (const row of rows) {
    if (row.parentId === null) continue;
    const list = children.get(row.parentId) ?? [];
    list.push(row.id);
    children.set(row.parentId, list);
  }
  return children;
}

/** The region ids below `rootIds` in the tree `children` (regionChildren), themselves included, in order. */
export function descendantsOf(children: ReadonlyMap<number, number[]>, rootIds: readonly number[]): number[] {
  const seen = new Set<number>();
  const stack = [...rootIds];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(children.get(id) ?? []));
  }
  return [...seen].sort((a, b) => a - b);
}

/** The scope of a person's role assignments (plus their own hazards). */
export async function resolvePersonScope(db: Db, personId: number): Promise<ResolvedScope> {
  const assignments = await db
    .select({ scopeKind: roleAssignments.scopeKind, scopeId: roleAssignments.scopeId })
    .from(roleAssignments)
    .where(eq(roleAssignments.personId, personId));
  const scope: ResolvedScope = { county: false, regionIds: [], departmentIds: [], enterpriseIds: [], personId };
  const regionRoots: number[] = [];
  for (const a of assignments) {
    if (a.scopeKind === 'county') scope.county = true;
    else if (a.scopeKind === 'region') regionRoots.push(a.scopeId);
    else if (a.scopeKind === 'department') scope.departmentIds.push(a.scopeId);
    else if (a.scopeKind === 'enterprise') scope.enterpriseIds.push(a.scopeId);
  }
  if (scope.county) return { ...COUNTY_SCOPE, personId };
  scope.regionIds = await withDescendantRegions(db, regionRoots);
  scope.departmentIds = unique(scope.departmentIds);
  scope.enterpriseIds = unique(scope.enterpriseIds);
  return scope;
}

/** The active person with this Feishu open_id, with their scope; null when the directory does not know them. */
export async function findViewerByOpenId(db: Db, openId: string): Promise<Viewer | null> {
  const [person] = await db
    .select({ id: people.id, code: people.code, name: people.name, openId: people.openId })
    .from(people)
    .where(and(eq(people.openId, openId), eq(people.active, true)))
    .limit(1);
  if (!person) return null;
  const roles = await db
    .select({ role: roleAssignments.role, scopeKind: roleAssignments.scopeKind, scopeId: roleAssignments.scopeId })
    .from(roleAssignments)
    .where(eq(roleAssignments.personId, person.id));
  return {
    personId: person.id,
    code: person.code,
    name: person.name,
    openId: person.openId,
    roles,
    scope: await resolvePersonScope(db, person.id),
  };
}

export class UnknownScopeError extends Error {
  constructor(readonly scope: Scope) {
    super(`unknown ${scope.kind} "${scope.code}"`);
    this.name = 'UnknownScopeError';
  }
}

/**
 * A named scope (`county`, `region:town-01`, `department:yjj`, `enterprise:e001`) as row ids: what a read token
 * sees with `?scope=`. Throws UnknownScopeError when the code names nothing.
 */
export async function resolveNamedScope(db: Db, scope: Scope): Promise<ResolvedScope> {
  if (scope.kind === 'county') return COUNTY_SCOPE;
  const code = scope.code ?? '';
  const base: ResolvedScope = { county: false, regionIds: [], departmentIds: [], enterpriseIds: [], personId: null };
  if (scope.kind === 'region') {
    const [row] = await db.select({ id: regions.id }).from(regions).where(eq(regions.code, code));
    if (!row) throw new UnknownScopeError(scope);
    return { ...base, regionIds: await withDescendantRegions(db, [row.id]) };
  }
  if (scope.kind === 'department') {
    const [row] = await db.select({ id: departments.id }).from(departments).where(eq(departments.code, code));
    if (!row) throw new UnknownScopeError(scope);
    return { ...base, departmentIds: [row.id] };
  }
  const [row] = await db.select({ id: enterprises.id }).from(enterprises).where(eq(enterprises.code, code));
  if (!row) throw new UnknownScopeError(scope);
  return { ...base, enterpriseIds: [row.id] };
}

/** True when the scope sees more than its holder's own hazards (a leader or inspector somewhere). */
export function hasAreaScope(scope: ResolvedScope): boolean {
  return scope.county || scope.regionIds.length + scope.departmentIds.length + scope.enterpriseIds.length > 0;
}

function unique(ids: number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

/** 全县, or the names of the regions/departments/units a scope covers, or 我负责和上报的. */
export async function describeScope(db: Db, scope: ResolvedScope): Promise<string> {
  if (scope.county) return '全县';
  const names: string[] = [];
  if (scope.regionIds.length) {
    const rows = await db
      .select({ id: regions.id, name: regions.name, parentId: regions.parentId })
      .from(regions)
      .where(inArray(regions.id, scope.regionIds));
    // Only the tops: a township, not each village below it.
    const ids = new Set(rows.map((r) => r.id));
    names.push(...rows.filter((r) => r.parentId === null || !ids.has(r.parentId)).map((r) => r.name));
  }
  if (scope.departmentIds.length) {
    names.push(
      ...(
        await db
          .select({ name: departments.name })
          .from(departments)
          .where(inArray(departments.id, scope.departmentIds))
      ).map((r) => r.name),
    );
  }
  if (scope.enterpriseIds.length) {
    names.push(
      ...(
        await db
          .select({ name: enterprises.name })
          .from(enterprises)
          .where(inArray(enterprises.id, scope.enterpriseIds))
      ).map((r) => r.name),
    );
  }
  return names.length ? names.join('、') : '我负责和上报的';
}
