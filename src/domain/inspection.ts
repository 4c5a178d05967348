/**
 * 查 — the words and rules of inspections (product.md "查 — inspections"): kinds, item results, plan periods. Pure: no
 * I/O. The checklist card's fields and the plan format use these names (interface.md "Inspections, checklists and
 * plans").
 */
import { z } from 'zod';

export const INSPECTION_KINDS = ['routine', 'campaign', 'unannounced', 'reinspection', 'self'] as const;
export type InspectionKind = (typeof INSPECTION_KINDS)[number];
export const inspectionKindSchema = z.enum(INSPECTION_KINDS);
export const INSPECTION_KIND_LABELS: Readonly<Record<InspectionKind, string>> = {
  routine: '日常检查',
  campaign: '专项检查',
  unannounced: '四不两直',
  reinspection: '复查',
  self: '企业自查',
};
/** Government inspections (everything but `self`) count for plans and coverage; self-inspections are counted apart. */
export function isGovernmentInspection(kind: InspectionKind): boolean {
  return kind !== 'self';
}

export const ITEM_RESULTS = ['pass', 'fail', 'fixed_on_site', 'na'] as const;
export type ItemResult = (typeof ITEM_RESULTS)[number];
export const itemResultSchema = z.enum(ITEM_RESULTS);
export const ITEM_RESULT_LABELS: Readonly<Record<ItemResult, string>> = {
  pass: '合格',
  fail: '不合格',
  fixed_on_site: '立查立改',
  na: '不适用',
};

export const INSPECTION_STATUSES = ['open', 'submitted', 'abandoned'] as const;
export type InspectionStatus = (typeof INSPECTION_STATUSES)[number];

/** How a hazard was found; `public_tip`: a 群众举报 found true (src/tips/). */
export const HAZARD_SOURCES = ['report', 'inspection', 'self_inspection', 'public_tip'] as const;
export type HazardSource = (typeof HAZARD_SOURCES)[number];
export const HAZARD_SOURCE_LABELS: Readonly<Record<HazardSource, string>> = {
  report: '上报',
  inspection: '检查发现',
  self_inspection: '企业自查',
  public_tip: '群众举报',
};

export const PLAN_FREQUENCIES = ['month', 'quarter', 'year', 'once'] as const;
/** How often a plan's units must be inspected: once per calendar month / quarter / year, or once in the plan. */
export type PlanFrequency = (typeof PLAN_FREQUENCIES)[number];
export const PLAN_FREQUENCY_LABELS: Readonly<Record<PlanFrequency, string>> = {
  month: '每月',
  quarter: '每季度',
  year: '每年',
  once: '计划期内一次',
};

/** The form field of a checklist item on the checklist card. */
export function itemField(code: string): string {
  return `item_${code}`;
}

/** A checklist item's code: letters, digits, dots, dashes and underscores (it becomes part of a form field name). */
export const CHECKLIST_ITEM_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

/** `JC-2026-000123` */
export function formatInspectionCode(year: number, sequence: number): string {
  return `JC-${year}-${String(sequence).padStart(6, '0')}`;
}
export const INSPECTION_CODE = /^JC-(\d{4})-(\d{6})$/;
