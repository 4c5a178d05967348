import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { departments, enterprises, people, regions, type roleAssignments } from '../db/schema/index.js';
import { checkTownshipChats, type IsBotInChat, type UnreachableChat } from './check-chats.js';
import {
  type DirectoryInput,
  type DirectoryIssue,
  type ImportMode,
  type ListName,
  type ScopeKind,
  sortIssues,
} from './model.js';
import type { ParsedInput } from './parse-input.js';
import {
  type OpenIdResolution,
  type ResolveUserIds,
  resolveOpenIds,
  type UnresolvedPerson,
} from './resolve-open-ids.js';
import { type DirectoryState, loadDirectoryState } from './state.js';
import { changeRoleAssignments, deactivateUnlisted, upsertByCode } from './store.js';
import { validateReferences } from './validate.js';

export interface ImportCounts {
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
}

export interface ImportReport {
  mode: ImportMode;
  regions: ImportCounts;
  departments: ImportCounts;
  people: ImportCounts;
  enterprises: ImportCounts;
  roles: { created: number; removed: number; unchanged: number };
  /** People listed without an open_id that could not be found in Feishu's contacts (not fatal). */
  unresolved: UnresolvedPerson[];
  /** Township groups (群聊ID) set by this import that the bot is not in, or could not be checked (not fatal). */
  unreachableChats: UnreachableChat[];
  /** false when the import changed nothing (e.g. the same file imported twice). */
  changed: boolean;
}

export type ImportResult = { ok: true; report: ImportReport } | { ok: false; issues: DirectoryIssue[] };

export interface ImportOptions {
  mode: ImportMode;
  resolveUserIds?: ResolveUserIds | undefined;
  isBotInChat?: IsBotInChat | undefined;
  now: Date;
  /** The stored directory, when the caller has just loaded it (it is read again in the transaction anyway). */
  before?: DirectoryState | undefined;
}

/** Imports serialise on this transaction-level advisory lock, so two admins' uploads cannot interleave. */
const IMPORT_LOCK_KEY = 727_004;

/** Thrown inside the transaction when the directory changed under a validated import; it rolls everything back. */
class RejectedImport extends Error {
  constructor(readonly issues: DirectoryIssue[]) {
    super('directory import rejected');
  }
}

/**
 * Imports a parsed directory: every problem is reported at once and nothing is applied, or all of it is, in one
 * transaction. Only what differs from the stored directory is written, with multi-row statements; a full import
 * (mode `replace`) deactivates the entries it no longer lists, a merge leaves them alone.
 */
export async function importDirectory(db: Db, parsed: ParsedInput, options: ImportOptions): Promise<ImportResult> {
  const { input } = parsed;
  const before = options.before ?? (await loadDirectoryState(db));
  // Field problems and reference problems are reported together: the admin fixes the file once.
  const issues = [...parsed.issues, ...validateReferences(input, before, options.mode)];
  if (issues.length > 0) return { ok: false, issues: sortIssues(issues, parsed.sheets) };

  // The contact API is called before the transaction: no lock is held across network calls.
  const resolution = await resolveOpenIds(input.people, before, options.resolveUserIds);
  const unreachableChats = await checkTownshipChats(input.regions, before, options.isBotInChat);

  try {
    const report = await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${IMPORT_LOCK_KEY})`);
      const state = await loadDirectoryState(tx);
      const again = validateReferences(input, state, options.mode);
      if (again.length > 0) throw new RejectedImport(again);
      return applyImport(tx, input, state, resolution, options);
    });
    return { ok: true, report: { ...report, unreachableChats } };
  } catch (error) {
    if (error instanceof RejectedImport) return { ok: false, issues: sortIssues(error.issues, parsed.sheets) };
    throw error;
  }
}

const zero = (): ImportCounts => ({ created: 0, updated: 0, unchanged: 0, deactivated: 0 });

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

async function applyImport(
  tx: Db,
  input: DirectoryInput,
  state: DirectoryState,
  resolution: OpenIdResolution,
  options: ImportOptions,
): Promise<ImportReport> {
  const { now, mode } = options;
  const report: ImportReport = {
    mode,
    regions: zero(),
    departments: zero(),
    people: zero(),
    enterprises: zero(),
    roles: { created: 0, removed: 0, unchanged: 0 },
    unresolved: resolution.unresolved,
    unreachableChats: [],
    changed: false,
  };
  const ids = {
    region: new Map([...state.regions].map(([code, row]) => [code, row.id])),
    department: new Map([...state.departments].map(([code, row]) => [code, row.id])),
    person: new Map([...state.people].map(([code, row]) => [code, row.id])),
    enterprise: new Map([...state.enterprises].map(([code, row]) => [code, row.id])),
  };
  const count = (counts: ImportCounts, stored: { active: boolean } | undefined, changed: boolean) => {
    if (!stored) counts.created++;
    else if (changed || !stored.active) counts.updated++;
    else counts.unchanged++;
    return !stored || changed || !stored.active;
  };

  // Regions, parents first: a level's rows are written once the level above has its ids.
  const parentCode = new Map<string, string | null>();
  for (const [code, row] of state.regions) {
    parentCode.set(code, row.parentId === null ? null : (state.codeOf.region.get(row.parentId) ?? null));
  }
  for (const region of input.regions) parentCode.set(region.code, region.parent);
  const levelOf = (code: string): number => {
    let level = 1;
    for (let p = parentCode.get(code); p; p = parentCode.get(p)) level++;
    return level;
  };
  const regionLevels = new Map<number, typeof input.regions>();
  for (const region of input.regions) {
    const stored = state.regions.get(region.code);
    const level = levelOf(region.code);
    const changed =
      stored !== undefined &&
      (stored.name !== region.name ||
        (region.chatId !== undefined && stored.chatId !== region.chatId) ||
        stored.level !== level ||
        (stored.parentId === null ? null : state.codeOf.region.get(stored.parentId)) !== region.parent);
    if (count(report.regions, stored, changed)) {
      const list = regionLevels.get(level) ?? [];
      list.push(region);
      regionLevels.set(level, list);
    }
  }
  for (const level of [...regionLevels.keys()].sort((a, b) => a - b)) {
    const rows = regionLevels.get(level)!.map((r) => ({
      code: r.code,
      name: r.name,
      parentId: r.parent === null ? null : ids.region.get(r.parent)!,
      // No chat in the file keeps the one set before (by 绑定 in the group, or an earlier import).
      chatId: r.chatId === undefined ? (state.regions.get(r.code)?.chatId ?? null) : r.chatId,
      level,
      active: true,
      createdAt: now,
      updatedAt: now,
    }));
    await upsertByCode(
      tx,
      regions,
      regions.code,
      rows,
      ['name', 'parent_id', 'chat_id', 'level', 'active', 'updated_at'],
      ids.region,
    );
  }

  const departmentRows = [];
  for (const d of input.departments) {
    const stored = state.departments.get(d.code);
    const changed = stored !== undefined && (stored.name !== d.name || !sameList(stored.sectors, d.sectors));
    if (count(report.departments, stored, changed)) {
      departmentRows.push({
        code: d.code,
        name: d.name,
        sectors: d.sectors,
        active: true,
        createdAt: now,
        updatedAt: now,
      });
    }
  }
  await upsertByCode(
    tx,
    departments,
    departments.code,
    departmentRows,
    ['name', 'sectors', 'active', 'updated_at'],
    ids.department,
  );

  // A merge never blanks a field because the import did not carry it (no such column, no such key).
  const absent = (given: ReadonlySet<string>, field: string) => mode === 'merge' && !given.has(field);
  const personRows = [];
  for (const p of input.people) {
    const stored = state.people.get(p.code);
    const mobile = stored && absent(p.given, 'mobile') ? stored.mobile : p.mobile;
    const email = stored && absent(p.given, 'email') ? stored.email : p.email;
    const openId =
      p.openId ??
      resolution.openIds.get(p.code) ??
      (resolution.keepStored.has(p.code) || absent(p.given, 'openId') ? (stored?.openId ?? null) : null);
    const changed =
      stored !== undefined &&
      (stored.name !== p.name || stored.mobile !== mobile || stored.email !== email || stored.openId !== openId);
    if (count(report.people, stored, changed)) {
      personRows.push({
        code: p.code,
        name: p.name,
        mobile,
        email,
        openId,
        active: true,
        createdAt: now,
        updatedAt: now,
      });
    }
  }
  await upsertByCode(
    tx,
    people,
    people.code,
    personRows,
    ['name', 'mobile', 'email', 'open_id', 'active', 'updated_at'],
    ids.person,
  );

  const enterpriseRows = [];
  for (const e of input.enterprises) {
    const stored = state.enterprises.get(e.code);
    const keep = (field: string) => stored !== undefined && absent(e.given, field);
    const row = {
      code: e.code,
      name: e.name,
      creditCode: keep('creditCode') ? stored!.creditCode : e.creditCode,
      regionId: ids.region.get(e.region)!,
      sectors: keep('sectors') ? stored!.sectors : e.sectors,
      departmentId: keep('department')
        ? stored!.departmentId
        : e.department === null
          ? null
          : ids.department.get(e.department)!,
      principalId: keep('principal') ? stored!.principalId : e.principal === null ? null : ids.person.get(e.principal)!,
      safetyOfficerId: keep('safetyOfficer')
        ? stored!.safetyOfficerId
        : e.safetyOfficer === null
          ? null
          : ids.person.get(e.safetyOfficer)!,
      address: keep('address') ? stored!.address : e.address,
      chatId: e.chatId,
      verified: e.verified,
      active: true,
      createdAt: now,
      updatedAt: now,
    };
    const changed =
      stored !== undefined &&
      (stored.name !== row.name ||
        stored.creditCode !== row.creditCode ||
        stored.regionId !== row.regionId ||
        !sameList(stored.sectors, row.sectors) ||
        stored.departmentId !== row.departmentId ||
        stored.principalId !== row.principalId ||
        stored.safetyOfficerId !== row.safetyOfficerId ||
        stored.address !== row.address ||
        stored.chatId !== row.chatId ||
        stored.verified !== row.verified);
    if (count(report.enterprises, stored, changed)) enterpriseRows.push(row);
  }
  await upsertByCode(
    tx,
    enterprises,
    enterprises.code,
    enterpriseRows,
    [
      'name',
      'credit_code',
      'region_id',
      'sectors',
      'department_id',
      'principal_id',
      'safety_officer_id',
      'address',
      'chat_id',
      'verified',
      'active',
      'updated_at',
    ],
    ids.enterprise,
  );

  await applyRoles(tx, input, state, ids, report, now);

  if (mode === 'replace') {
    const listed = (entries: { code: string }[]) => new Set(entries.map((e) => e.code));
    const replaces = (list: ListName) => input.present.includes(list);
    if (replaces('regions')) {
      report.regions.deactivated = await deactivateUnlisted(tx, regions, state.regions, listed(input.regions), now);
    }
    if (replaces('departments')) {
      report.departments.deactivated = await deactivateUnlisted(
        tx,
        departments,
        state.departments,
        listed(input.departments),
        now,
      );
    }
    if (replaces('people')) {
      report.people.deactivated = await deactivateUnlisted(tx, people, state.people, listed(input.people), now);
    }
    // Units reported in the field and not yet verified are no spreadsheet's business: they stay until an admin acts.
    if (replaces('enterprises'))
      report.enterprises.deactivated = await deactivateUnlisted(
        tx,
        enterprises,
        new Map([...state.enterprises].filter(([, row]) => row.verified)),
        listed(input.enterprises),
        now,
      );
  }

  const c = (k: ImportCounts) => k.created + k.updated + k.deactivated;
  report.changed =
    c(report.regions) + c(report.departments) + c(report.people) + c(report.enterprises) > 0 ||
    report.roles.created + report.roles.removed > 0;
  return report;
}

/** A listed person's roles become exactly the ones listed: missing ones are added, others removed. */
async function applyRoles(
  tx: Db,
  input: DirectoryInput,
  state: DirectoryState,
  ids: Record<'region' | 'department' | 'person' | 'enterprise', Map<string, number>>,
  report: ImportReport,
  now: Date,
): Promise<void> {
  const key = (personId: number, role: string, kind: ScopeKind, scopeId: number) =>
    `${personId}|${role}|${kind}|${scopeId}`;
  const storedByKey = new Map(state.roles.map((r) => [key(r.personId, r.role, r.scopeKind, r.scopeId), r]));
  const listedPeople = new Set<number>();
  const wanted = new Set<string>();
  const inserts: (typeof roleAssignments.$inferInsert)[] = [];
  for (const person of input.people) {
    const personId = ids.person.get(person.code)!;
    listedPeople.add(personId);
    for (const { role, scope } of person.roles) {
      const scopeId = scope.kind === 'county' ? 0 : ids[scope.kind].get(scope.code!)!;
      const k = key(personId, role, scope.kind, scopeId);
      if (wanted.has(k)) continue;
      wanted.add(k);
      if (storedByKey.has(k)) report.roles.unchanged++;
      else inserts.push({ personId, role, scopeKind: scope.kind, scopeId, createdAt: now });
    }
  }
  const removals = state.roles.filter(
    (r) => listedPeople.has(r.personId) && !wanted.has(key(r.personId, r.role, r.scopeKind, r.scopeId)),
  );
  await changeRoleAssignments(
    tx,
    removals.map((r) => r.id),
    inserts,
  );
  report.roles.created = inserts.length;
  report.roles.removed = removals.length;
}
