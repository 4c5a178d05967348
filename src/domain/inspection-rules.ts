/**
 * 查 — who may inspect which unit, and what a submitted checklist must hold (product.md "查 — inspections"). Pure: the
 * services load the unit and the answers, these rules decide.
 */
import {
  type HazardSource,
  INSPECTION_KINDS,
  type InspectionKind,
  ITEM_RESULT_LABELS,
  ITEM_RESULTS,
  type ItemResult,
} from './inspection.js';
import { addCalendarDays, isLocalDate } from './local-time.js';
import {
  type Actor,
  hasRoleOver,
  isUnitOfficer,
  type PermissionDecision,
  type RoleAssignment,
  type UnitContext,
} from './permissions.js';
import type { LocalDate } from './vocabulary.js';

/** 检查情况: the free text of a submitted inspection. */
export const MAX_FINDINGS_LENGTH = 2000;
/** An inspection is recorded on the day of the visit: today, or up to this many days back (a visit entered later). */
export const INSPECTION_DATE_DAYS_BACK = 30;
/** The kinds a government inspector runs (everything but `self`). */
export const GOVERNMENT_KINDS: readonly InspectionKind[] = INSPECTION_KINDS.filter((k) => k !== 'self');

const ALLOWED: PermissionDecision = Object.freeze({ allowed: true });
const refuse = (reason: string): PermissionDecision => ({ allowed: false, reason });

const isInspector = (roles: readonly RoleAssignment[]) => roles.some((r) => r.role === 'inspector');

/**
 * The kinds someone may choose before the unit is known: an inspector the government kinds, a unit's principal or
 * safety officer (`ownsUnits`) only `self` (企业自查); someone who is both, all five. Empty: they may not inspect.
 */
export function inspectionKindsFor(roles: readonly RoleAssignment[], ownsUnits: boolean): InspectionKind[] {
  const kinds: InspectionKind[] = isInspector(roles) ? [...GOVERNMENT_KINDS] : [];
  if (ownsUnits) kinds.push('self');
  return kinds;
}

/**
 * May `actor` run an inspection of `kind` on `unit`? A government kind: an inspector whose scope covers the unit.
 * `self`: the unit's own principal or safety officer only. Each role gives its own right: a unit officer may not
 * run a government inspection, and an inspector may not record a 企业自查 for a unit that is not theirs.
 */
export function canInspect(actor: Actor, unit: UnitContext, kind: InspectionKind): PermissionDecision {
  if (actor.kind !== 'person') return refuse('系统不能进行检查');
  const officer = isUnitOfficer(actor, unit);
  if (kind === 'self') {
    if (officer) return ALLOWED;
    return refuse(
      isInspector(actor.roles)
        ? '“企业自查”只能由本单位的主要负责人或安全管理员进行；检查员请选择其他检查类型'
        : '“企业自查”只能由本单位的主要负责人或安全管理员进行',
    );
  }
  if (hasRoleOver(actor, 'inspector', unit)) return ALLOWED;
  if (officer) return refuse('单位人员只能对本单位进行“企业自查”，请把检查类型选为企业自查');
  return refuse(
    isInspector(actor.roles)
      ? '该单位不在您的检查范围内，请联系所属乡镇或主管部门的检查员检查'
      : '只有检查员（对其辖区内单位）或企业主要负责人、安全管理员（对本单位自查）可以进行检查；如需开通，请联系管理员分配角色',
  );
}

/** The day of the visit: not in the future, at most INSPECTION_DATE_DAYS_BACK days back. A message when not. */
export function checkInspectionDate(date: string, today: LocalDate): string | null {
  if (!isLocalDate(date)) return '请选择检查日期';
  if (date > today) return `检查日期不能晚于今天（${today}）`;
  const earliest = addCalendarDays(today, -INSPECTION_DATE_DAYS_BACK);
  if (date < earliest) return `检查日期不能早于 ${earliest}（最多补录 ${INSPECTION_DATE_DAYS_BACK} 天内的检查）`;
  return null;
}

/** 同行检查人: each must be an inspector (any scope). A message naming those who are not, or null. */
export function checkCompanions(companions: readonly { name: string; roles: readonly RoleAssignment[] }[]) {
  const notInspectors = companions.filter((c) => !isInspector(c.roles)).map((c) => c.name);
  if (notInspectors.length === 0) return null;
  return `同行检查人须为检查员：${notInspectors.join('、')} 不是检查员`;
}

export interface ChecklistAnswerCheck {
  /** Every item answered. */
  complete: boolean;
  /** The valid answers given, by item code (a missing or unknown value is not among them). */
  results: Record<string, ItemResult>;
  /** Codes of the items without a valid answer, in the checklist's order. */
  missing: string[];
}

/** Every item answered with one of pass / fail / fixed_on_site / na; the missing ones named, in order. */
export function checkAnswers(
  items: readonly { code: string }[],
  answers: Readonly<Record<string, string | null | undefined>>,
): ChecklistAnswerCheck {
  const results: Record<string, ItemResult> = {};
  const missing: string[] = [];
  for (const item of items) {
    const answer = answers[item.code];
    if (isItemResult(answer)) results[item.code] = answer;
    else missing.push(item.code);
  }
  return { complete: missing.length === 0, results, missing };
}

export function isItemResult(value: unknown): value is ItemResult {
  return typeof value === 'string' && (ITEM_RESULTS as readonly string[]).includes(value);
}

/** 检查情况: trimmed, at most MAX_FINDINGS_LENGTH characters (empty is allowed: nothing to add). */
export function checkFindings(
  text: string | null | undefined,
): { ok: true; text: string } | { ok: false; message: string } {
  const trimmed = (text ?? '').trim();
  if (trimmed.length > MAX_FINDINGS_LENGTH) {
    return { ok: false, message: `检查情况最多 ${MAX_FINDINGS_LENGTH} 个字，当前 ${trimmed.length} 个字` };
  }
  return { ok: true, text: trimmed };
}

export type ResultCounts = Record<ItemResult, number>;

export function countResults(results: Iterable<ItemResult>): ResultCounts {
  const counts: ResultCounts = { pass: 0, fail: 0, fixed_on_site: 0, na: 0 };
  for (const result of results) counts[result]++;
  return counts;
}

/** "合格 12 · 不合格 1 · 立查立改 2 · 不适用 3" */
export function describeCounts(counts: ResultCounts): string {
  return ITEM_RESULTS.map((r) => `${ITEM_RESULT_LABELS[r]} ${counts[r]}`).join(' · ');
}

/** A hazard found by an inspection counts as the government's find, or — for 企业自查 — as the unit's own. */
export function hazardSourceOf(kind: InspectionKind): HazardSource {
  return kind === 'self' ? 'self_inspection' : 'inspection';
}
