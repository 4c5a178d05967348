/**
 * The report form's values (interface.md: enterprise, sector, level, description, location, measures, standard,
 * deadline, suspend, basis; plus the governance plan's funds and contingency for major hazards, and `responsible`:
 * 定责任人, the unit's principal by default or its safety officer), checked field by field so the form can come back
 * with each error beside its field and every value kept.
 */

import { type Calendar, type HazardGrade, type LocalDate, MAX_DESCRIPTION_LENGTH, SECTORS } from '../domain/index.js';
import { REPORT_FORM_FIELDS, type ReportFormField } from '../feishu/card-actions.js';
import { type BasisCatalog, checkBasis, shippedBasisCatalog } from './basis-clauses.js';

/** The sectors are the domain's (domain/vocabulary.ts); the form offers them all. */
export { SECTORS };

/** The form's field names belong to the chat boundary's schema (feishu/card-actions.ts), which the form card uses too. */
export const REPORT_FIELDS = REPORT_FORM_FIELDS;
export type ReportField = ReportFormField;

/** Who rectifies (定责任人), as the form offers it: the unit's officers from the directory. */
export type ResponsibleChoice = 'principal' | 'safety_officer';
export const RESPONSIBLE_LABELS: Readonly<Record<ResponsibleChoice, string>> = {
  principal: '单位主要负责人',
  safety_officer: '单位安全管理员',
};

/** What the reporter typed, as text (the form comes back with exactly these). */
export type ReportFormValues = Partial<Record<ReportField, string>>;

export const FIELD_LIMITS: Readonly<Record<ReportField, number>> = {
  enterprise: 100,
  sector: 20,
  level: 10,
  description: MAX_DESCRIPTION_LENGTH,
  location: 200,
  measures: 1000,
  standard: 1000,
  deadline: 30,
  responsible: 20,
  suspend: 5,
  basis: 500,
  basis_other: 500,
  funds: 200,
  contingency: 1000,
};

export const FIELD_LABELS: Readonly<Record<ReportField, string>> = {
  enterprise: '单位名称',
  sector: '行业',
  level: '隐患等级',
  description: '隐患描述',
  location: '隐患位置',
  measures: '整改措施',
  standard: '验收标准',
  deadline: '整改期限',
  responsible: '整改责任人',
  suspend: '停产停业整改',
  basis: '依据条款',
  basis_other: '其他依据',
  funds: '治理资金',
  contingency: '应急预案',
};

const REQUIRED: readonly ReportField[] = [
  'enterprise',
  'sector',
  'level',
  'description',
  'location',
  'measures',
  'standard',
];

export interface ValidReport {
  enterprise: string;
  sector: string;
  grade: HazardGrade;
  description: string;
  location: string;
  measures: string;
  standard: string;
  deadline: LocalDate;
  responsible: ResponsibleChoice;
  suspended: boolean;
  /** The clause cited as the hazard stores it (判定依据), and its code (basis-clauses.ts), or null for none. */
  basis: string | null;
  basisCode: string | null;
  funds: string | null;
  contingency: string | null;
}

export type ReportCheck =
  | { ok: true; report: ValidReport; values: ReportFormValues }
  | { ok: false; errors: Partial<Record<ReportField, string>>; values: ReportFormValues };

/** Reads Feishu's form_value: strings, arrays (multi selects) or dates "2026-03-01 +0800". */
export function readFormValues(formValue: Record<string, string | string[]> | undefined): ReportFormValues {
  const values: ReportFormValues = {};
  for (const field of REPORT_FIELDS) {
    const raw = formValue?.[field];
    const text = Array.isArray(raw) ? raw.join(',') : raw;
    if (typeof text === 'string') values[field] = text;
  }
  return values;
}

/**
 * Checks a submitted report form at `now`; every problem is reported, none is fixed silently. `catalog` is the
 * 判定依据 pick list's (loadBasisCatalog); without it, the shipped clauses only.
 */
export function checkReportForm(
  values: ReportFormValues,
  now: Date,
  calendar: Calendar,
  catalog: BasisCatalog = shippedBasisCatalog(),
): ReportCheck {
  const errors: Partial<Record<ReportField, string>> = {};
  const text = (field: ReportField) => (values[field] ?? '').trim();
  for (const field of REPORT_FIELDS) {
    const value = text(field);
    if (value.length > FIELD_LIMITS[field]) {
      errors[field] = `${FIELD_LABELS[field]}最多 ${FIELD_LIMITS[field]} 个字，当前 ${value.length} 个字`;
    }
  }
  for (const field of REQUIRED) {
    if (!text(field) && !errors[field]) errors[field] = `请填写${FIELD_LABELS[field]}`;
  }
  const sector = text('sector');
  if (sector && !errors.sector && !(SECTORS as readonly string[]).includes(sector)) {
    errors.sector = `行业请从列表中选择（${SECTORS.join('、')}）`;
  }
  const level = text('level');
  if (level && !errors.level && level !== 'general' && level !== 'major') {
    errors.level = '隐患等级请选择一般隐患或重大隐患';
  }
  const grade: HazardGrade = level === 'major' ? 'major' : 'general';
  const suspend = text('suspend');
  const suspended = suspend === 'yes';
  if (suspend && suspend !== 'yes' && suspend !== 'no') errors.suspend = '请选择是否责令停产停业整改';
  else if (suspended && level === 'general') errors.suspend = '只有重大隐患可以责令停产停业整改';

  const responsibleText = text('responsible');
  const responsible: ResponsibleChoice = responsibleText === 'safety_officer' ? 'safety_officer' : 'principal';
  if (responsibleText && !errors.responsible && !Object.hasOwn(RESPONSIBLE_LABELS, responsibleText)) {
    errors.responsible = '整改责任人请选择单位主要负责人或单位安全管理员';
  }

  const cited = checkBasis(catalog, {
    basis: text('basis'),
    other: text('basis_other'),
    sector: errors.sector ? '' : sector,
    level: errors.level ? '' : level,
  });
  for (const [field, message] of Object.entries(cited.errors) as [ReportField, string][]) {
    if (!errors[field]) errors[field] = message;
  }

  // "2026-03-01 +0800" from the date picker; a plain date is accepted too.
  const deadlineText = text('deadline');
  let deadline: LocalDate = calendar.defaultDeadline(grade, now).date;
  if (deadlineText && !errors.deadline) {
    const date = deadlineText.slice(0, 10);
    const problem = calendar.checkDeadline(date, now);
    if (problem) errors.deadline = problem.message;
    else deadline = date;
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors, values };
  const optional = (field: ReportField) => text(field) || null;
  return {
    ok: true,
    values,
    report: {
      enterprise: text('enterprise').replace(/\s+/g, ' '),
      sector,
      grade,
      description: text('description'),
      location: text('location'),
      measures: text('measures'),
      standard: text('standard'),
      deadline,
      responsible,
      suspended,
      basis: cited.basis?.text ?? null,
      basisCode: cited.basis?.code ?? null,
      funds: grade === 'major' ? optional('funds') : null,
      contingency: grade === 'major' ? optional('contingency') : null,
    },
  };
}
