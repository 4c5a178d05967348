/**
 * 判定依据: the clauses the report form's `basis` pick list offers, per sector (issue 21 point 1). A sector's list is
 * its active checklists' items that cite a basis and are marked `major` (the county's own, or the shipped default
 * checklists) when it has any, else the shipped list (domain/major-hazard-clauses.ts); plus 其他 with free text
 * (`basis_other`). The form goes out before the sector is chosen and a JSON 2.0 form does not re-render on a select,
 * so one list covers every sector, each option starting with its sector; once the sector is known (a returned form,
 * a form prefilled from an inspection) the list is that sector's alone.
 * Codes: a shipped clause's own (`whp-01`), a checklist item's `ck:<checklist>:<item>`, or `other`.
 */
import { and, asc, eq, ne } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { checklistItems, checklists } from '../db/schema/index.js';
import { OTHER_BASIS, SHIPPED_CLAUSES } from '../domain/major-hazard-clauses.js';
import { SECTORS } from '../domain/vocabulary.js';

export { OTHER_BASIS };

export interface BasisClause {
  code: string;
  sector: string;
  /** The standard and article, e.g. `安监总管三〔2017〕121号 第一条`. */
  cite: string;
  /** What it is about: the shipped clause's topic, or the checklist item's text. */
  topic: string;
  /** What the hazard stores and every card, the ledger and the API show (hazards.basis). */
  text: string;
}

export interface BasisCatalog {
  bySector: ReadonlyMap<string, readonly BasisClause[]>;
  byCode: ReadonlyMap<string, BasisClause>;
}

function catalogOf(clauses: BasisClause[]): BasisCatalog {
  const bySector = new Map<string, BasisClause[]>();
  for (const clause of clauses) {
    const list = bySector.get(clause.sector);
    if (list) list.push(clause);
    else bySector.set(clause.sector, [clause]);
  }
  return { bySector, byCode: new Map(clauses.map((c) => [c.code, c])) };
}

const shipped = (): BasisClause[] => SHIPPED_CLAUSES.map((c) => ({ ...c, text: `${c.cite}：${c.topic}` }));

/** The shipped lists alone (no database): for sectors without checklists, and for tests. */
export function shippedBasisCatalog(): BasisCatalog {
  return catalogOf(shipped());
}

/** The catalog as it stands: the active checklists' major items per sector, the shipped list for the others. */
export async function loadBasisCatalog(db: Db): Promise<BasisCatalog> {
  const items = await db
    .select({
      checklist: checklists.code,
      name: checklists.name,
      sector: checklists.sector,
      item: checklistItems.code,
      basis: checklistItems.basis,
      text: checklistItems.text,
    })
    .from(checklistItems)
    .innerJoin(checklists, eq(checklists.id, checklistItems.checklistId))
    .where(and(eq(checklists.active, true), eq(checklistItems.major, true), ne(checklistItems.basis, '')))
    .orderBy(asc(checklists.sector), asc(checklists.code), asc(checklistItems.position));
  const fromChecklists: BasisClause[] = items.map((i) => ({
    code: `ck:${i.checklist}:${i.item}`,
    sector: i.sector,
    cite: i.basis,
    topic: i.text,
    text: `${i.basis}（检查表「${i.name}」第 ${i.item} 项）`,
  }));
  const covered = new Set(fromChecklists.map((c) => c.sector));
  return catalogOf([...fromChecklists, ...shipped().filter((c) => !covered.has(c.sector))]);
}

/** The clause a checklist item stands for in `sector`'s list, if it is one of them (a major item with a basis). */
export function clauseOfChecklistItem(
  catalog: BasisCatalog,
  sector: string,
  item: { basis: string; text: string },
): BasisClause | undefined {
  return catalog.bySector.get(sector)?.find((c) => c.cite === item.basis && c.topic === item.text);
}

const SECTOR_SHORT: Readonly<Record<string, string>> = { 危险化学品: '危化', 特种设备: '特设' };
const SHORTER: [RegExp, string][] = [
  [/安监总管三〔2017〕121号/g, '121号'],
  [/应急管理部令第10号/g, '10号令'],
  [/建城规〔2023〕4号/g, '燃气判定标准'],
  [/（条款号(请)?以(官方文本|标准原文)为准）/g, '（以官方文本为准）'],
];
const LABEL_CHARS = 44;
/** What the option list may take of the card (30 KB in all, the rest of the form takes about 7 KB). */
const OPTIONS_BUDGET_BYTES = 18_000;

function label(clause: BasisClause, withSector: boolean): string {
  let cite = clause.cite;
  for (const [pattern, short] of SHORTER) cite = cite.replace(pattern, short);
  const full = `${withSector ? `${SECTOR_SHORT[clause.sector] ?? clause.sector}｜` : ''}${cite} ${clause.topic}`;
  return full.length > LABEL_CHARS ? `${full.slice(0, LABEL_CHARS - 1)}…` : full;
}

export interface BasisOption {
  value: string;
  text: string;
}

/**
 * The pick list: `sector`'s clauses when it is chosen, else every sector's in the form's sector order, then 其他.
 * A long list is cut per sector to keep the card within Feishu's 30 KB (what is cut can be cited with 其他);
 * `keep` (the value already chosen) is never cut.
 */
export function basisOptions(catalog: BasisCatalog, sector?: string, keep?: string): BasisOption[] {
  // A sector chosen (and one of the form's): its clauses alone, none for a sector without a standard (其他 only).
  const known = sector !== undefined && (SECTORS as readonly string[]).includes(sector);
  const sectors = known ? [sector] : SECTORS.filter((s) => catalog.bySector.has(s));
  const build = (perSector: number) => [
    ...sectors.flatMap((s) => {
      const list = catalog.bySector.get(s) ?? [];
      return list
        .filter((c, i) => i < perSector || c.code === keep)
        .map((c) => ({ value: c.code, text: label(c, !known) }));
    }),
    { value: OTHER_BASIS, text: '其他（在下方「其他依据」中写明文件和条款）' },
  ];
  let perSector = 200;
  let options = build(perSector);
  while (perSector > 5 && Buffer.byteLength(JSON.stringify(options)) + options.length * 40 > OPTIONS_BUDGET_BYTES) {
    perSector = Math.floor(perSector * 0.8);
    options = build(perSector);
  }
  return options;
}

/** What a pick-list value looks like (free text typed into an older form's `basis` does not). */
const CODE_LIKE = /^[\w:.-]+$/;

export interface BasisCheck {
  /** Problems by form field (basis, basis_other, level). */
  errors: Partial<Record<'basis' | 'basis_other' | 'level', string>>;
  /** The clause cited (code and stored text), or null for none. */
  basis: { code: string; text: string } | null;
}

/**
 * The form's `basis` / `basis_other` against the catalog, the sector and the grade chosen. Citing a clause of a
 * 重大事故隐患 standard with the grade 一般 is refused, not silently upgraded: the standards say such a hazard
 * 应当判定为重大事故隐患, and the grade decides the deadline, who is told and whether it is listed — the reporter
 * confirms by choosing 重大 (the form comes back with everything kept), or cites the clause as 其他.
 */
export function checkBasis(
  catalog: BasisCatalog,
  input: { basis: string; other: string; sector: string; level: string },
): BasisCheck {
  const { basis, other, sector, level } = input;
  if (!basis && !other) return { errors: {}, basis: null };
  if (!basis || basis === OTHER_BASIS) {
    if (!other) return { errors: { basis_other: '依据条款选了「其他」：请写明文件名称和条款号' }, basis: null };
    return { errors: {}, basis: { code: OTHER_BASIS, text: other } };
  }
  const clause = catalog.byCode.get(basis);
  // A form sent before the pick list (cards live for weeks) had `basis` as free text: it is the 其他 text.
  if (!clause && !CODE_LIKE.test(basis) && !other) return { errors: {}, basis: { code: OTHER_BASIS, text: basis } };
  if (!clause) {
    return {
      errors: {
        basis: '依据条款不在列表中（检查表可能已更新）：请从列表中重新选择；列表中没有的，选「其他」并写明',
      },
      basis: null,
    };
  }
  const errors: BasisCheck['errors'] = {};
  if (other) errors.basis_other = '已从列表选了条款，「其他依据」请留空；或将依据条款改选「其他」';
  if (sector && clause.sector !== sector && (SECTORS as readonly string[]).includes(sector)) {
    errors.basis = `所选条款属于「${clause.sector}」，与行业「${sector}」不一致：请改选本行业的条款，或选「其他」并写明`;
  } else if (level === 'general') {
    errors.level = `所选依据「${clause.cite}」是重大事故隐患判定条款，按该标准应判定为重大事故隐患：请将隐患等级改为重大事故隐患；确属一般隐患的，请把依据改选「其他」并写明`;
  }
  return { errors, basis: Object.keys(errors).length > 0 ? null : { code: clause.code, text: clause.text } };
}
