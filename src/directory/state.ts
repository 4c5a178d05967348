import { asc } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { departments, enterprises, people, regions, roleAssignments } from '../db/schema/index.js';
import type { ScopeKind } from './model.js';

/** The whole directory as stored, keyed by code: imports diff against it in memory and write only what changed. */
export interface DirectoryState {
  regions: Map<string, StoredRegion>;
  departments: Map<string, StoredDepartment>;
  people: Map<string, StoredPerson>;
  enterprises: Map<string, StoredEnterprise>;
  roles: StoredRole[];
  /** id → code, per table, to turn stored references back into codes. */
  codeOf: {
    region: Map<number, string>;
    department: Map<number, string>;
    person: Map<number, string>;
    enterprise: Map<number, string>;
  };
}

export type StoredRegion = typeof regions.$inferSelect;
export type StoredDepartment = typeof departments.$inferSelect;
export type StoredPerson = typeof people.$inferSelect;
export type StoredEnterprise = typeof enterprises.$inferSelect;
export type StoredRole = typeof roleAssignments.$inferSelect & { scopeKind: ScopeKind };

export async function loadDirectoryState(db: Db): Promise<DirectoryState> {
  // One after another: `db` is often a transaction, one connection, which runs one statement at a time anyway (and
  // node-postgres is to stop queueing a statement sent while another runs).
  const regionRows = await db.select().from(regions).orderBy(asc(regions.id));
  const departmentRows = await db.select().from(departments).orderBy(asc(departments.id));
  const personRows = await db.select().from(people).orderBy(asc(people.id));
  const enterpriseRows = await db.select().from(enterprises).orderBy(asc(enterprises.id));
  const roleRows = await db.select().from(roleAssignments).orderBy(asc(roleAssignments.id));
  const byCode = <T extends { code: string }>(rows: T[]) => new Map(rows.map((row) => [row.code, row]));
  const codes = <T extends { id: number; code: string }>(rows: T[]) => new Map(rows.map((row) => [row.id, row.code]));
  return {
    regions: byCode(regionRows),
    departments: byCode(departmentRows),
    people: byCode(personRows),
    enterprises: byCode(enterpriseRows),
    roles: roleRows as StoredRole[],
    codeOf: {
      region: codes(regionRows),
      department: codes(departmentRows),
      person: codes(personRows),
      enterprise: codes(enterpriseRows),
    },
  };
}

/** True before any import: no region, person or enterprise stored (sandbox mode then loads a sample county). */
export async function directoryIsEmpty(db: Db): Promise<boolean> {
  const found = await Promise.all([
    db.select({ id: regions.id }).from(regions).limit(1),
    db.select({ id: people.id }).from(people).limit(1),
    db.select({ id: enterprises.id }).from(enterprises).limit(1),
  ]);
  return found.every((rows) => rows.length === 0);
}
