/**
 * The words the domain modules share (product.md, "Vocabulary"). Kept apart so that calendar, permissions,
 * hazard and escalation policy can all use them without importing one another in circles.
 */
import { z } from 'zod';

/** A person's directory code (e.g. `p001`), never a Feishu open_id: open_ids are resolved at the edge. */
export type PersonCode = string;

/** A date on the local wall calendar of `BOT_TIMEZONE`, `YYYY-MM-DD`. Deadlines are local dates. */
export type LocalDate = string;

/** A wall-clock time of day, `HH:MM` (24 h). */
export type LocalTime = string;

export const HAZARD_GRADES = ['general', 'major'] as const;
/** 一般 / 重大事故隐患. */
export type HazardGrade = (typeof HAZARD_GRADES)[number];
export const hazardGradeSchema = z.enum(HAZARD_GRADES);

/**
 * `pending_delisting` (待摘牌): a listed major hazard whose rectification has been accepted; it closes (销号) when the
 * authority that listed it removes the listing (摘牌).
 */
export const HAZARD_STATUSES = [
  'reported',
  'rectifying',
  'pending_verification',
  'pending_delisting',
  'closed',
] as const;
export type HazardStatus = (typeof HAZARD_STATUSES)[number];
export const hazardStatusSchema = z.enum(HAZARD_STATUSES);

export const SUPERVISION_LEVELS = ['none', 'township', 'county'] as const;
/**
 * 督办 level, raised by escalation (or by hand): reminded and escalated, never "listed" — 挂牌督办 is the listing of a
 * major hazard by the county's authority, a flag of its own (hazard.ts `listing`). Ordered: later is higher.
 */
export type SupervisionLevel = (typeof SUPERVISION_LEVELS)[number];
export const supervisionLevelSchema = z.enum(SUPERVISION_LEVELS);

export const GRADE_LABELS: Readonly<Record<HazardGrade, string>> = { general: '一般隐患', major: '重大隐患' };
export const STATUS_LABELS: Readonly<Record<HazardStatus, string>> = {
  reported: '已登记',
  rectifying: '整改中',
  pending_verification: '待验收',
  pending_delisting: '已验收待摘牌',
  closed: '已销号',
};
export const SUPERVISION_LABELS: Readonly<Record<SupervisionLevel, string>> = {
  none: '未督办',
  township: '乡镇督办',
  county: '县级督办',
};

/** Compares supervision levels: negative when `a` is lower than `b`. */
export function compareSupervision(a: SupervisionLevel, b: SupervisionLevel): number {
  return SUPERVISION_LEVELS.indexOf(a) - SUPERVISION_LEVELS.indexOf(b);
}

/**
 * The sectors (行业) the product knows (product.md "Sectors and grades"): offered on the report form, and the only ones
 * a checklist may belong to. The directory's units carry them as free text; these are the words to use there too.
 */
export const SECTORS = ['工贸', '危险化学品', '特种设备', '消防', '燃气', '建筑施工', '交通运输', '其他'] as const;
export type Sector = (typeof SECTORS)[number];
