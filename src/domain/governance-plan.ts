/**
 * The unit's report and 治理方案 of a major hazard (product.md "Major hazards…: The unit's report and plan";
 * 总局令第16号 第十五条): its eight parts, what a submission must hold, who submits it and who decides on it.
 */
import { type Actor, type HazardContext, hasRoleOver, isUnitOfficer, type PermissionDecision } from './permissions.js';

/** The parts, in the form's order; the names are the form's field names (and the PDF's): never rename them. */
export const PLAN_FIELDS = [
  'situation',
  'severity',
  'goals',
  'methods',
  'funding',
  'organisation',
  'timeline',
  'safety',
] as const;
export type PlanField = (typeof PLAN_FIELDS)[number];
export type PlanParts = Record<PlanField, string>;

export const PLAN_FIELD_LABELS: Readonly<Record<PlanField, string>> = {
  situation: '现状及其产生原因',
  severity: '危害程度和整改难易程度分析',
  goals: '治理的目标和任务',
  methods: '采取的方法和措施',
  funding: '经费和物资的落实',
  organisation: '负责治理的机构和人员',
  timeline: '治理的时限和要求',
  safety: '安全措施和应急预案',
};

/** Characters each part may hold (a Feishu input holds at most 1,000). */
export const PLAN_FIELD_LIMITS: Readonly<Record<PlanField, number>> = {
  situation: 1000,
  severity: 1000,
  goals: 500,
  methods: 1000,
  funding: 500,
  organisation: 500,
  timeline: 500,
  safety: 1000,
};

/** The longest 退回 reason. */
export const PLAN_REASON_LIMIT = 500;

/** Where a hazard's plan stands. */
export type PlanState = 'awaiting' | 'submitted' | 'returned' | 'accepted';
export const PLAN_STATE_LABELS: Readonly<Record<PlanState, string>> = {
  awaiting: '待提交',
  submitted: '待审核',
  returned: '已退回',
  accepted: '已通过',
};

export type PlanCheck =
  | { ok: true; parts: PlanParts }
  | {
      ok: false;
      /** What the form shows beside each field. */
      errors: Partial<Record<PlanField, string>>;
      /** The labels of the empty parts, in the form's order. */
      missing: string[];
      /** The labels of the parts too long. */
      tooLong: string[];
    };

/** What was typed, each part trimmed (absent parts empty). */
export function typedParts(values: Partial<Record<string, unknown>>): PlanParts {
  const parts = {} as PlanParts;
  for (const field of PLAN_FIELDS) {
    const value = values[field];
    parts[field] = typeof value === 'string' ? value.trim() : '';
  }
  return parts;
}

/** Every part is required, and none may pass its limit; every problem is named beside its field. */
export function checkPlan(values: Partial<Record<string, unknown>>): PlanCheck {
  const parts = typedParts(values);
  const errors: Partial<Record<PlanField, string>> = {};
  const missing: string[] = [];
  const tooLong: string[] = [];
  for (const field of PLAN_FIELDS) {
    const label = PLAN_FIELD_LABELS[field];
    const length = [...parts[field]].length;
    if (length === 0) {
      errors[field] = `请填写「${label}」：治理方案的每一部分都必须填写`;
      missing.push(label);
    } else if (length > PLAN_FIELD_LIMITS[field]) {
      errors[field] = `「${label}」最多 ${PLAN_FIELD_LIMITS[field]} 字，现为 ${length} 字，请精简`;
      tooLong.push(label);
    }
  }
  return missing.length === 0 && tooLong.length === 0 ? { ok: true, parts } : { ok: false, errors, missing, tooLong };
}

/** The toast of a submission refused for its content: every part named. */
export function planProblemsText(check: Extract<PlanCheck, { ok: false }>): string {
  const said = [
    ...(check.missing.length ? [`未填写：${check.missing.join('、')}`] : []),
    ...(check.tooLong.length ? [`超出字数：${check.tooLong.join('、')}`] : []),
  ];
  return `治理方案未提交，${said.join('；')}。已填写的内容已保留`;
}

/** 提交治理方案: the responsible person or the unit's principal/safety officer (as for rectification). */
export function canSubmitPlan(actor: Actor, hazard: HazardContext): PermissionDecision {
  if (actor.kind === 'person' && (actor.person === hazard.responsible || isUnitOfficer(actor, hazard))) {
    return { allowed: true };
  }
  return { allowed: false, reason: '只有该隐患的整改责任人或单位主要负责人、安全管理员可以提交治理方案' };
}

/**
 * 通过 / 退回 a plan: the supervising department — its department leader, or an inspector with that department's
 * scope. A unit without a department in the directory: a county-scope inspector or department leader.
 */
export function canReviewPlan(actor: Actor, hazard: HazardContext, departmentName: string | null): PermissionDecision {
  if (actor.kind !== 'person') return { allowed: false, reason: '系统不能审核治理方案' };
  const kinds = hazard.departmentCode ? (['department'] as const) : (['county'] as const);
  if (hasRoleOver(actor, 'department_leader', hazard, kinds) || hasRoleOver(actor, 'inspector', hazard, kinds)) {
    return { allowed: true };
  }
  return {
    allowed: false,
    reason: departmentName
      ? `只有行业主管部门（${departmentName}）的负责人或该部门的检查员可以审核治理方案`
      : '该单位在名录中没有行业主管部门：只有县级检查员可以审核治理方案',
  };
}
