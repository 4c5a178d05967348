/**
 * 同行检查人: whom the form offers (the inspectors who can inspect where the asker can — the same or an overlapping
 * scope, nearest first, capped) and checking those chosen (each must be an inspector in the directory).
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { type DirectoryPerson, findPersonByOpenId } from '../directory/lookup.js';
import { checkCompanions, type Scope } from '../domain/index.js';

/** The form offers at most this many companions (Feishu's person picker is a list, not a search). */
export const MAX_COMPANION_OPTIONS = 50;
/** At most this many companions on one inspection. */
export const MAX_COMPANIONS = 20;

interface InspectorScopeRow {
  id: number;
  name: string;
  openId: string;
  kind: Scope['kind'];
  code: string | null;
}

/**
 * The inspectors the asker may take along, nearest first: the same scope; a township above or below theirs, or the
 * same department; county-wide inspectors; then departments' inspectors beside a township's (联合检查). Only people
 * with a Feishu account (the picker shows open_ids).
 */
export async function companionOptions(
  db: Db,
  asker: DirectoryPerson,
  limit = MAX_COMPANION_OPTIONS,
): Promise<{ openId: string; name: string }[]> {
  const mine = asker.roles.filter((r) => r.role === 'inspector').map((r) => r.scope);
  if (mine.length === 0) return [];
  const rows = rowsOf<InspectorScopeRow>(
    await db.execute(sql`
      select p.id, p.name, p.open_id as "openId", ra.scope_kind as kind,
        case ra.scope_kind
          when 'region' then (select code from regions where id = ra.scope_id)
          when 'department' then (select code from departments where id = ra.scope_id)
          when 'enterprise' then (select code from enterprises where id = ra.scope_id)
        end as code
      from role_assignments ra join people p on p.id = ra.person_id
      where ra.role = 'inspector' and p.active and p.open_id is not null and p.id <> ${asker.id}`),
  );
  const regionRows = rowsOf<{ code: string; parent: string | null }>(
    await db.execute(sql`select r.code, p.code as parent from regions r left join regions p on p.id = r.parent_id`),
  );
  const parentOf = new Map(regionRows.map((r) => [r.code, r.parent]));
  const ancestors = (code: string) => {
    const path: string[] = [];
    for (let c: string | null | undefined = code; c && path.length < 32; c = parentOf.get(c)) path.push(c);
    return path;
  };
  const rank = (theirs: Scope): number | null => {
    let best: number | null = null;
    for (const scope of mine) {
      const r = scopeDistance(scope, theirs, ancestors);
      if (r !== null && (best === null || r < best)) best = r;
    }
    return best;
  };
  const byPerson = new Map<number, { openId: string; name: string; rank: number }>();
  for (const row of rows) {
    const scope: Scope | null =
      row.kind === 'county' ? { kind: 'county' } : row.code ? ({ kind: row.kind, code: row.code } as Scope) : null;
    const r = scope ? rank(scope) : null;
    if (r === null) continue;
    const id = Number(row.id);
    const known = byPerson.get(id);
    if (!known || r < known.rank) byPerson.set(id, { openId: row.openId, name: row.name, rank: r });
  }
  return [...byPerson.values()]
    .sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name, 'zh'))
    .slice(0, limit)
    .map(({ openId, name }) => ({ openId, name }));
}

/** How near two inspector scopes are (0 the same … 3 a township beside a department), null when they never meet. */
function scopeDistance(mine: Scope, theirs: Scope, ancestors: (code: string) => string[]): number | null {
  if (mine.kind === theirs.kind && (mine.kind === 'county' || mine.code === (theirs as { code: string }).code)) {
    return 0;
  }
  if (theirs.kind === 'county') return 2;
  if (mine.kind === 'county') return theirs.kind === 'enterprise' ? null : 2;
  if (mine.kind === 'region' && theirs.kind === 'region') {
    return ancestors(mine.code).includes(theirs.code) || ancestors(theirs.code).includes(mine.code) ? 1 : null;
  }
  if (
    (mine.kind === 'region' && theirs.kind === 'department') ||
    (mine.kind === 'department' && theirs.kind === 'region')
  ) {
    return 3;
  }
  return null;
}

/**
 * The chosen companions (open_ids, as the picker sends them) as directory people: each must be in the directory
 * and an inspector; the asker themself is dropped. A message naming who may not come along otherwise.
 */
export async function resolveCompanions(
  db: Db,
  asker: DirectoryPerson,
  openIds: readonly string[],
): Promise<{ ok: true; people: DirectoryPerson[] } | { ok: false; message: string }> {
  const unique = [...new Set(openIds.map((id) => id.trim()).filter((id) => id && id !== asker.openId))];
  if (unique.length > MAX_COMPANIONS) return { ok: false, message: `同行检查人最多 ${MAX_COMPANIONS} 人` };
  const found: DirectoryPerson[] = [];
  const unknown: string[] = [];
  for (const openId of unique) {
    const person = await findPersonByOpenId(db, openId);
    if (person) found.push(person);
    else unknown.push(openId);
  }
  if (unknown.length > 0)
    return { ok: false, message: `有 ${unknown.length} 位同行检查人不在组织名录中，不能作为检查人` };
  const problem = checkCompanions(found);
  return problem ? { ok: false, message: problem } : { ok: true, people: found };
}
