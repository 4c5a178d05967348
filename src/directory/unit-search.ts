/**
 * Finding a unit as a reporter types it (exact name first, then partial, only units they may report on), and the
 * townships where an inspector may register a unit the directory does not know yet.
 */
import { and, asc, eq, ilike } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { enterprises, regions } from '../db/schema/index.js';
import { canReport, type PersonActor } from '../domain/index.js';
import { loadUnit } from './lookup.js';

export type EnterpriseMatch =
  | { kind: 'one'; code: string }
  | { kind: 'many'; candidates: { code: string; name: string; regionName: string }[] }
  | { kind: 'forbidden'; message: string };

/** Active units named exactly `typed`, or else (at most 50) whose names contain it; `exact` says which. */
export async function findUnitsByName(
  db: Db,
  typed: string,
): Promise<{ exact: boolean; rows: { id: number; code: string; name: string; regionName: string }[] }> {
  const select = () =>
    db
      .select({ id: enterprises.id, code: enterprises.code, name: enterprises.name, regionName: regions.name })
      .from(enterprises)
      .innerJoin(regions, eq(regions.id, enterprises.regionId))
      .$dynamic();
  const exact = await select()
    .where(and(eq(enterprises.active, true), eq(enterprises.name, typed)))
    .orderBy(asc(enterprises.code));
  if (exact.length > 0) return { exact: true, rows: exact };
  const pattern = `%${typed.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const partial = await select()
    .where(and(eq(enterprises.active, true), ilike(enterprises.name, pattern)))
    .orderBy(asc(enterprises.name))
    .limit(50);
  return { exact: false, rows: partial };
}

/** Exact name first, then partial; only units the reporter may report on are offered. */
export async function findReportableUnits(db: Db, typed: string, actor: PersonActor): Promise<EnterpriseMatch> {
  const { rows } = await findUnitsByName(db, typed);
  const allowed = [];
  let refusal: string | null = null;
  for (const row of rows) {
    const unit = await loadUnit(db, { id: row.id });
    const decision = unit ? canReport(actor, unit.unit) : { allowed: false as const, reason: '' };
    if (decision.allowed) allowed.push(row);
    else refusal ??= decision.reason;
  }
  if (allowed.length === 1) return { kind: 'one', code: allowed[0]!.code };
  if (allowed.length === 0 && refusal && !actor.roles.some((r) => r.role === 'inspector')) {
    return { kind: 'forbidden', message: refusal };
  }
  return {
    kind: 'many',
    candidates: allowed.slice(0, 10).map((r) => ({ code: r.code, name: r.name, regionName: r.regionName })),
  };
}

/** Leaf regions (townships) inside the reporter's inspector scopes, where a new unit may be registered. */
export async function townshipsInInspectorScope(db: Db, actor: PersonActor): Promise<{ code: string; name: string }[]> {
  const scopes = actor.roles.filter((r) => r.role === 'inspector').map((r) => r.scope);
  if (scopes.length === 0) return [];
  const all = await db
    .select({ id: regions.id, code: regions.code, name: regions.name, parentId: regions.parentId })
    .from(regions)
    .where(eq(regions.active, true))
    .orderBy(asc(regions.code));
  const byId = new Map(all.map((r) => [r.id, r]));
  const parents = new Set(all.map((r) => r.parentId).filter((id) => id !== null));
  const pathOf = (id: number) => {
    const path: string[] = [];
    for (let r = byId.get(id); r && path.length < 32; r = r.parentId ? byId.get(r.parentId) : undefined)
      path.push(r.code);
    return path;
  };
  const county = scopes.some((s) => s.kind === 'county');
  const regionCodes = scopes.filter((s) => s.kind === 'region').map((s) => (s as { code: string }).code);
  return all
    .filter((r) => !parents.has(r.id))
    .filter((r) => county || pathOf(r.id).some((code) => regionCodes.includes(code)))
    .map((r) => ({ code: r.code, name: r.name }));
}
