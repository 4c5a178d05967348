/**
 * Who may do what to which hazard (product.md "Who uses it", "States"; interface.md scopes).
 *
 * A role assignment is a role plus a scope: `county`, `region:<code>`, `department:<code>`, `enterprise:<code>`.
 * A scope covers a unit when the unit lies inside it: any unit (county — the whole deployment), a unit whose
 * region path contains the region (a township, or a higher level in a province deployment), a unit supervised by
 * the department, or the enterprise itself.
 */
import { z } from 'zod';
import type { PersonCode } from './vocabulary.js';

export const ROLES = [
  'inspector',
  'enterprise_principal',
  'enterprise_safety_officer',
  'township_leader_in_charge',
  'township_main_leader',
  'department_leader',
  'county_leader',
  /** 县安委办 (安全生产委员会办公室): lists major hazards for supervision (挂牌督办) and removes the listing (摘牌). */
  'county_safety_office',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  inspector: '检查员',
  enterprise_principal: '企业主要负责人',
  enterprise_safety_officer: '企业安全管理员',
  township_leader_in_charge: '乡镇分管领导',
  township_main_leader: '乡镇主要领导',
  department_leader: '行业主管部门负责人',
  county_leader: '县领导',
  county_safety_office: '县安委办',
  admin: '管理员',
};

/** Leaders see and comment; they never rectify, verify or decide (unless named on the hazard in person). */
export const LEADER_ROLES: readonly Role[] = [
  'township_leader_in_charge',
  'township_main_leader',
  'department_leader',
  'county_leader',
];

export type Scope =
  | { kind: 'county' }
  | { kind: 'region'; code: string }
  | { kind: 'department'; code: string }
  | { kind: 'enterprise'; code: string };

const SCOPE_TEXT = /^(region|department|enterprise):(\S+)$/;

/** Parses `county`, `region:<code>`, `department:<code>`, `enterprise:<code>`; null otherwise. */
export function parseScope(text: string): Scope | null {
  const trimmed = text.trim();
  if (trimmed === 'county') return { kind: 'county' };
  const match = SCOPE_TEXT.exec(trimmed);
  if (!match) return null;
  return { kind: match[1] as 'region' | 'department' | 'enterprise', code: match[2]! };
}

/** The text form of a scope, as stored and as written in directory files. */
export function formatScope(scope: Scope): string {
  return scope.kind === 'county' ? 'county' : `${scope.kind}:${scope.code}`;
}

/** zod: scope text → Scope, with a message that says what to write. */
export const scopeSchema = z.string().transform((text, ctx): Scope => {
  const scope = parseScope(text);
  if (!scope) {
    ctx.addIssue({
      code: 'custom',
      message: `scope "${text}" must be county, region:<code>, department:<code> or enterprise:<code>`,
    });
    return z.NEVER;
  }
  return scope;
});

export interface RoleAssignment {
  role: Role;
  scope: Scope;
}

/** zod: `{role, scope: "region:town-01"}` (directory JSON) → RoleAssignment. */
export const roleAssignmentSchema = z.object({ role: roleSchema, scope: scopeSchema });

/** Someone acting: a person from the directory with their role assignments, or the service itself (sweeps). */
export type Actor = PersonActor | SystemActor;
export interface PersonActor {
  kind: 'person';
  person: PersonCode;
  roles: readonly RoleAssignment[];
}
export interface SystemActor {
  kind: 'system';
}
export const SYSTEM_ACTOR: SystemActor = Object.freeze({ kind: 'system' });

export function personActor(person: PersonCode, roles: readonly RoleAssignment[] = []): PersonActor {
  return { kind: 'person', person, roles };
}

/** Where a unit (enterprise) sits in the directory: what scopes reach it and who answers for it. */
export interface UnitContext {
  /** The enterprise's code; null for a unit not (yet) in the directory. */
  enterpriseCode: string | null;
  /** Region codes from the top (county) down to the township, e.g. ['county-x', 'town-01']. */
  regionPath: readonly string[];
  /** The supervising department's code (行业主管部门), if known. */
  departmentCode: string | null;
  /** 主要负责人. */
  principal: PersonCode | null;
  /** 安全管理员. */
  safetyOfficer: PersonCode | null;
}

/** A hazard's unit plus the people named on the hazard. */
export interface HazardContext extends UnitContext {
  reporter: PersonCode;
  /** 责任人 named by the reporter (定责任人); null until assigned. */
  responsible: PersonCode | null;
  /** Who submitted the latest rectification; null before any. */
  rectifiedBy: PersonCode | null;
  /** Everyone who submitted a rectification of it, in any round (the latest one's rectifier included). */
  rectifiers: readonly PersonCode[];
}

export type PermissionDecision = { allowed: true } | { allowed: false; reason: string };

const ALLOWED: PermissionDecision = Object.freeze({ allowed: true });
const refuse = (reason: string): PermissionDecision => ({ allowed: false, reason });

/** True when `scope` reaches `unit`. */
export function scopeCovers(scope: Scope, unit: UnitContext): boolean {
  switch (scope.kind) {
    case 'county':
      return true;
    case 'region':
      return unit.regionPath.includes(scope.code);
    case 'department':
      return unit.departmentCode !== null && unit.departmentCode === scope.code;
    case 'enterprise':
      return unit.enterpriseCode !== null && unit.enterpriseCode === scope.code;
  }
}

/** True when the actor holds `role` with a scope that reaches `unit` (optionally only scopes of given kinds). */
export function hasRoleOver(actor: Actor, role: Role, unit: UnitContext, kinds?: readonly Scope['kind'][]): boolean {
  if (actor.kind !== 'person') return false;
  return actor.roles.some(
    (assignment) =>
      assignment.role === role &&
      (!kinds || kinds.includes(assignment.scope.kind)) &&
      scopeCovers(assignment.scope, unit),
  );
}

/** The unit's own people: its principal or safety officer, by the directory or by an enterprise-scoped role. */
export function isUnitOfficer(actor: Actor, unit: UnitContext): boolean {
  if (actor.kind !== 'person') return false;
  if (actor.person === unit.principal || actor.person === unit.safetyOfficer) return true;
  return (
    hasRoleOver(actor, 'enterprise_principal', unit, ['enterprise']) ||
    hasRoleOver(actor, 'enterprise_safety_officer', unit, ['enterprise'])
  );
}

/** 上报: an inspector whose scope reaches the unit, or the unit's own principal/safety officer (自查自报). */
export function canReport(actor: Actor, unit: UnitContext): PermissionDecision {
  if (actor.kind !== 'person') return refuse('系统不能上报隐患');
  if (hasRoleOver(actor, 'inspector', unit) || isUnitOfficer(actor, unit)) return ALLOWED;
  const isInspectorElsewhere = actor.roles.some((a) => a.role === 'inspector');
  return refuse(
    isInspectorElsewhere
      ? '该单位不在您的检查范围内，请联系所属乡镇或主管部门的检查员上报'
      : '只有检查员（可对其辖区内单位上报）或企业主要负责人、安全管理员（可对本单位自查自报）可以上报隐患；如需开通，请联系管理员分配角色',
  );
}

/** 确认接收 / 提交整改 / 申请延期: the responsible person or the unit's principal/safety officer. */
export function canRectify(actor: Actor, hazard: HazardContext): PermissionDecision {
  if (actor.kind !== 'person') return refuse('系统不能代为整改');
  if (actor.person === hazard.responsible || isUnitOfficer(actor, hazard)) return ALLOWED;
  return refuse('只有该隐患的整改责任人或单位主要负责人、安全管理员可以操作整改');
}

/**
 * 验收通过 / 驳回: an inspector whose scope reaches the unit, never anyone who rectified it — in the round being
 * verified or in an earlier one (whoever fixed the first attempt would be judging work that continues their own).
 */
export function canVerify(actor: Actor, hazard: HazardContext): PermissionDecision {
  if (actor.kind !== 'person') return refuse('系统不能验收');
  if (!hasRoleOver(actor, 'inspector', hazard)) return refuse('只有对该单位有检查权限的检查员可以验收');
  if (hazard.rectifiedBy !== null && actor.person === hazard.rectifiedBy) {
    return refuse('整改人不能验收自己的整改，请由其他检查员验收');
  }
  if (hazard.rectifiers.includes(actor.person)) {
    return refuse('您提交过该隐患此前一轮的整改，整改人不能验收该隐患，请由其他检查员验收');
  }
  return ALLOWED;
}

/**
 * 同意延期 / 不同意延期: an inspector of the unit's township (region scope), its supervising department, or the
 * county; not an enterprise-scoped inspector, and not the person who asked for the extension.
 */
export function canDecideExtension(
  actor: Actor,
  hazard: HazardContext,
  requestedBy: PersonCode | null = null,
): PermissionDecision {
  if (actor.kind !== 'person') return refuse('系统不能审批延期');
  if (!hasRoleOver(actor, 'inspector', hazard, ['county', 'region', 'department'])) {
    return refuse('只有属地乡镇或行业主管部门的检查员可以审批延期');
  }
  if (requestedBy !== null && actor.person === requestedBy) return refuse('不能审批自己提出的延期申请');
  return ALLOWED;
}

/** 分配责任人 (定责任人 or re-assignment): an inspector whose scope reaches the unit, or the service. */
export function canAssign(actor: Actor, hazard: HazardContext): PermissionDecision {
  if (actor.kind === 'system') return ALLOWED;
  if (hasRoleOver(actor, 'inspector', hazard)) return ALLOWED;
  return refuse('只有对该单位有检查权限的检查员可以指定整改责任人');
}

/**
 * 挂牌督办 (raise supervision): the service (escalation policy), a county leader, or an inspector of the county,
 * township or supervising department.
 */
export function canEscalateSupervision(actor: Actor, hazard: HazardContext): PermissionDecision {
  if (actor.kind === 'system') return ALLOWED;
  if (
    hasRoleOver(actor, 'inspector', hazard, ['county', 'region', 'department']) ||
    hasRoleOver(actor, 'county_leader', hazard)
  ) {
    return ALLOWED;
  }
  return refuse('只有县领导或属地、行业主管部门的检查员可以挂牌督办');
}

/**
 * 查看: anyone with a role whose scope reaches the unit (inspectors, leaders, admins, the unit's officers),
 * and anyone named on the hazard (reporter, responsible person, rectifier).
 */
export function canView(actor: Actor, hazard: HazardContext): PermissionDecision {
  if (actor.kind === 'system') return ALLOWED;
  const named = [hazard.reporter, hazard.responsible, hazard.rectifiedBy, hazard.principal, hazard.safetyOfficer];
  if (named.includes(actor.person) || hazard.rectifiers.includes(actor.person)) return ALLOWED;
  if (actor.roles.some((assignment) => scopeCovers(assignment.scope, hazard))) return ALLOWED;
  return refuse('您无权查看该隐患（不在您的管辖范围内）');
}

/**
 * Who listed a major hazard (挂牌督办) and alone may remove the listing (摘牌): the county's safety committee office
 * (安委办) or the supervising department (by its leader).
 */
export type ListingAuthority = { kind: 'county_safety_office' } | { kind: 'department'; code: string };

/** `county_safety_office` or `department:<code>`, as events and rows store it. */
export function formatListingAuthority(authority: ListingAuthority): string {
  return authority.kind === 'county_safety_office' ? 'county_safety_office' : `department:${authority.code}`;
}

export function parseListingAuthority(text: string): ListingAuthority | null {
  if (text === 'county_safety_office') return { kind: 'county_safety_office' };
  const match = /^department:(\S+)$/.exec(text);
  return match ? { kind: 'department', code: match[1]! } : null;
}

const isDepartmentLeaderOf = (actor: Actor, unit: UnitContext) =>
  hasRoleOver(actor, 'department_leader', unit, ['department']);

/**
 * 挂牌督办: which authority the actor lists for — 安委办 (`county_safety_office` over the unit) first, else the unit's
 * supervising department through its leader. Anyone else is told who may.
 */
export function canList(
  actor: Actor,
  unit: UnitContext,
): { allowed: true; authority: ListingAuthority } | { allowed: false; reason: string } {
  if (actor.kind !== 'person')
    return { allowed: false, reason: '挂牌督办须由县安委办或行业主管部门决定，系统不能挂牌' };
  if (hasRoleOver(actor, 'county_safety_office', unit)) {
    return { allowed: true, authority: { kind: 'county_safety_office' } };
  }
  if (unit.departmentCode !== null && isDepartmentLeaderOf(actor, unit)) {
    return { allowed: true, authority: { kind: 'department', code: unit.departmentCode } };
  }
  return { allowed: false, reason: '只有县安委办或该单位的行业主管部门负责人可以挂牌督办' };
}

/** 摘牌: only the authority that listed it. */
export function canDelist(actor: Actor, unit: UnitContext, authority: ListingAuthority): PermissionDecision {
  if (actor.kind !== 'person') return refuse('摘牌须由挂牌单位决定，系统不能摘牌');
  if (authority.kind === 'county_safety_office') {
    return hasRoleOver(actor, 'county_safety_office', unit)
      ? ALLOWED
      : refuse('该隐患由县安委办挂牌督办，只有县安委办可以摘牌');
  }
  const leads = actor.roles.some(
    (a) => a.role === 'department_leader' && a.scope.kind === 'department' && a.scope.code === authority.code,
  );
  return leads ? ALLOWED : refuse('该隐患由行业主管部门挂牌督办，只有该部门负责人可以摘牌');
}

/**
 * 责令停产停业 and 复产验收: a department with enforcement power — an inspector or the leader of the unit's supervising
 * department. A unit without a supervising department falls to the county's inspectors.
 */
export function canOrderSuspension(actor: Actor, unit: UnitContext): PermissionDecision {
  if (actor.kind !== 'person') return refuse('系统不能责令停产停业');
  if (hasRoleOver(actor, 'inspector', unit, ['department']) || isDepartmentLeaderOf(actor, unit)) return ALLOWED;
  if (unit.departmentCode === null && hasRoleOver(actor, 'inspector', unit, ['county'])) return ALLOWED;
  return refuse('只有该单位行业主管部门的检查员或负责人可以责令停产停业；其他检查员可以建议停产停业，由主管部门确认');
}

/** 建议停产停业: any inspector over the unit (one with the power to order it orders instead). */
export function canProposeSuspension(actor: Actor, unit: UnitContext): PermissionDecision {
  if (actor.kind !== 'person') return refuse('系统不能建议停产停业');
  return hasRoleOver(actor, 'inspector', unit) ? ALLOWED : refuse('只有对该单位有检查权限的检查员可以建议停产停业');
}

/** 复产验收: the supervising department (as for ordering the suspension), never someone who rectified it. */
export function canDecideResumption(actor: Actor, hazard: HazardContext): PermissionDecision {
  if (actor.kind !== 'person') return refuse('系统不能复产验收');
  if (!canOrderSuspension(actor, hazard).allowed) {
    return refuse('复产验收由该单位的行业主管部门（其检查员或负责人）到现场进行');
  }
  if (actor.person === hazard.rectifiedBy || hazard.rectifiers.includes(actor.person)) {
    return refuse('整改人不能复产验收自己的整改，请由主管部门其他人员验收');
  }
  return ALLOWED;
}

/** 评论: whoever may view (leaders may view and comment only). */
export function canComment(actor: Actor, hazard: HazardContext): PermissionDecision {
  if (actor.kind === 'system') return refuse('系统不能评论');
  const view = canView(actor, hazard);
  return view.allowed ? ALLOWED : refuse('您无权评论该隐患（不在您的管辖范围内）');
}
