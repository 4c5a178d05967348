/**
 * Which township each region counts to, for 通报晾晒: the townships are the regions one level below the root (the
 * roots themselves when the directory has several), as the 统计分析表 counts them; a village counts to its township.
 */
import type { Db } from '../../db/client.js';
import { regions } from '../../db/schema/index.js';

export interface Township {
  id: number;
  code: string;
  name: string;
}

/** Region id → its township (regions above the township level, e.g. the county itself, have none). */
export async function townshipsByRegion(db: Db): Promise<Map<number, Township>> {
  const all = await db
    .select({
      id: regions.id,
      code: regions.code,
      name: regions.name,
      parentId: regions.parentId,
      level: regions.level,
      active: regions.active,
    })
    .from(regions);
  const byId = new Map(all.map((r) => [r.id, r]));
  const roots = all.filter((r) => r.parentId === null && r.active);
  const level = roots.length === 1 && all.some((r) => r.parentId === roots[0]!.id) ? 2 : 1;
  const result = new Map<number, Township>();
  for (const start of all) {
    let region: (typeof all)[number] | undefined = start;
    for (let depth = 0; region && depth < 32; depth++) {
      if (region.level === level) {
        result.set(start.id, { id: region.id, code: region.code, name: region.name });
        break;
      }
      region = region.parentId === null ? undefined : byId.get(region.parentId);
    }
  }
  return result;
}
