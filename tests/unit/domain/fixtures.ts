/** A small directory and hazard builder shared by the domain unit tests. Times are Asia/Shanghai wall clock. */
import { createCalendar } from '../../../src/domain/calendar.js';
import { type Hazard, reportHazard } from '../../../src/domain/index.js';
import { personActor, type RoleAssignment, type UnitContext } from '../../../src/domain/permissions.js';
import type { HazardGrade, LocalDate } from '../../../src/domain/vocabulary.js';

/** `local('2026-05-11 09:00')` → the instant the Shanghai wall clock shows that time. */
export function local(text: string): Date {
  const [date, time = '00:00'] = text.split(' ');
  return new Date(`${date}T${time}:00+08:00`);
}

export const calendar = createCalendar();

/** 某某化工有限公司 in 城关镇 (town-01) of county-x, supervised by 县应急管理局 (yjj). */
export const unit: UnitContext = {
  enterpriseCode: 'e001',
  regionPath: ['county-x', 'town-01'],
  departmentCode: 'yjj',
  principal: 'boss',
  safetyOfficer: 'safety',
};

const role = (r: RoleAssignment['role'], scope: string): RoleAssignment => {
  const [kind, code] = scope.split(':');
  return { role: r, scope: kind === 'county' ? { kind: 'county' } : ({ kind, code } as RoleAssignment['scope']) };
};

export const people = {
  townInspector: personActor('insp-town', [role('inspector', 'region:town-01')]),
  otherTownInspector: personActor('insp-town2', [role('inspector', 'region:town-02')]),
  countyInspector: personActor('insp-county', [role('inspector', 'county')]),
  deptInspector: personActor('insp-yjj', [role('inspector', 'department:yjj')]),
  otherDeptInspector: personActor('insp-scj', [role('inspector', 'department:scj')]),
  enterpriseInspector: personActor('insp-ent', [role('inspector', 'enterprise:e001')]),
  /** Principal by the directory (unit.principal) and by role. */
  boss: personActor('boss', [role('enterprise_principal', 'enterprise:e001')]),
  /** Safety officer known only from the directory entry of the unit. */
  safety: personActor('safety'),
  /** A worker named responsible person on one hazard, without any role. */
  worker: personActor('worker'),
  townLeader: personActor('lead-town', [role('township_leader_in_charge', 'region:town-01')]),
  otherTownLeader: personActor('lead-town2', [role('township_leader_in_charge', 'region:town-02')]),
  townMainLeader: personActor('main-town', [role('township_main_leader', 'region:town-01')]),
  deptLeader: personActor('lead-yjj', [role('department_leader', 'department:yjj')]),
  countyLeader: personActor('lead-county', [role('county_leader', 'county')]),
  admin: personActor('admin', [role('admin', 'county')]),
  /** 县安委办. */
  safetyOffice: personActor('aqw', [role('county_safety_office', 'county')]),
  stranger: personActor('stranger'),
};

/**
 * A hazard reported by the township inspector and assigned to the principal (the default responsible person). With
 * `suspended`, the supervising department's inspector reports it: only the department orders 停产停业.
 */
export function reported(
  options: { grade?: HazardGrade; at?: string; deadline?: LocalDate; suspended?: boolean } = {},
): Hazard {
  const result = reportHazard(
    {
      unit,
      grade: options.grade ?? 'general',
      ...(options.deadline ? { deadline: options.deadline } : {}),
      ...(options.suspended ? { suspended: true } : {}),
    },
    options.suspended ? people.deptInspector : people.townInspector,
    local(options.at ?? '2026-05-11 10:00'),
    calendar,
  );
  if (!result.ok) throw new Error(`fixture report failed: ${result.error.message}`);
  return result.hazard;
}
