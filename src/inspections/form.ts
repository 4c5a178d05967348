/**
 * The inspection form's setup for the asker (the kinds they may choose, the active checklists, the inspectors they may
 * take along; a unit officer's unit) and the checking of its choices, field by field — for the form and for every
 * card after it that carries them (start.ts).
 */
import { and, eq, inArray, or } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { enterprises } from '../db/schema/index.js';
import type { DirectoryPerson } from '../directory/lookup.js';
import {
  type Calendar,
  checkInspectionDate,
  type InspectionKind,
  inspectionKindSchema,
  inspectionKindsFor,
} from '../domain/index.js';
import type { InspectionFormField } from '../feishu/card-actions.js';
import type { InspectionChoiceValue, InspectionFormCardInput, InspectionFormValues } from './cards/inspection-form.js';
import { checklistWithItems, listChecklists } from './checklists/store.js';
import { companionOptions, resolveCompanions } from './companions.js';

export interface InspectionDeps {
  db: Db;
  clock: Clock;
  calendar: Calendar;
}

/** An open inspection (and a report draft) belongs to what its person is doing for this long after they last touched it. */
export const INSPECTION_WINDOW_MS = 30 * 60 * 1000;

export const NOT_IN_DIRECTORY =
  '您还不在本系统的组织名录中，暂时不能进行检查。请联系管理员把您（手机号）加入名录并分配角色。';
export const MAY_NOT_INSPECT =
  '只有检查员（对其辖区内单位）或企业主要负责人、安全管理员（对本单位企业自查）可以进行检查。如需开通，请联系管理员在组织名录中为您分配角色。';
export const MAX_ENTERPRISE_LENGTH = 100;

/** The form's choices besides the unit, as the buttons after it carry them. */
export type InspectionChoices = InspectionChoiceValue;

/** The units this person answers for: their principal or safety officer, by the directory or an enterprise role. */
async function ownUnits(db: Db, person: DirectoryPerson): Promise<{ code: string; name: string }[]> {
  const codes = person.roles
    .filter((r) => r.role === 'enterprise_principal' || r.role === 'enterprise_safety_officer')
    .flatMap((r) => (r.scope.kind === 'enterprise' ? [r.scope.code] : []));
  return db
    .select({ code: enterprises.code, name: enterprises.name })
    .from(enterprises)
    .where(
      and(
        eq(enterprises.active, true),
        or(
          eq(enterprises.principalId, person.id),
          eq(enterprises.safetyOfficerId, person.id),
          ...(codes.length > 0 ? [inArray(enterprises.code, codes)] : []),
        ),
      ),
    )
    .orderBy(enterprises.code)
    .limit(20);
}

/** The kinds this person may choose (empty: they may not inspect at all). */
export async function kindsOf(
  db: Db,
  person: DirectoryPerson,
): Promise<{ kinds: InspectionKind[]; own: { code: string; name: string }[] }> {
  const own = await ownUnits(db, person);
  return { kinds: inspectionKindsFor(person.roles, own.length > 0), own };
}

/** The form offers at most this many checklists (a select, not a search; the unit's sectors pick one otherwise). */
const MAX_CHECKLIST_OPTIONS = 100;

/** The active checklists, as the form lists them. */
async function checklistOptions(db: Db): Promise<{ code: string; name: string; sector: string }[]> {
  const active = await listChecklists(db, { activeOnly: true });
  return active.slice(0, MAX_CHECKLIST_OPTIONS).map(({ code, name, sector }) => ({ code, name, sector }));
}

export type FormSetup = { ok: true; form: InspectionFormCardInput } | { ok: false; message: string };

/** The form for this person: their kinds, the active checklists, the inspectors they may take; a unit officer's unit. */
export async function inspectionFormFor(
  deps: InspectionDeps,
  person: DirectoryPerson,
  values?: InspectionFormValues,
  errors?: InspectionFormCardInput['errors'],
): Promise<FormSetup> {
  const { db } = deps;
  const { kinds, own } = await kindsOf(db, person);
  if (kinds.length === 0) return { ok: false, message: MAY_NOT_INSPECT };
  const today = deps.calendar.localDate(deps.clock.now());
  const prefill: InspectionFormValues =
    kinds.length === 1 && kinds[0] === 'self' && own.length === 1 ? { enterprise: own[0]!.name, kind: 'self' } : {};
  return {
    ok: true,
    form: {
      values: values ?? prefill,
      ...(errors ? { errors } : {}),
      kinds,
      checklists: await checklistOptions(db),
      companions: kinds.some((k) => k !== 'self') ? await companionOptions(db, person) : [],
      today,
    },
  };
}

export type FieldErrors = Partial<Record<InspectionFormField, string>>;

/** Reads Feishu's form_value of the inspection form: text, the person picker's open_ids, the date picker's date. */
export function readInspectionForm(formValue: Record<string, string | string[]> | undefined): InspectionFormValues {
  const text = (name: InspectionFormField) => {
    const raw = formValue?.[name];
    return typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.join(',') : undefined;
  };
  const companions = formValue?.companions;
  return {
    enterprise: text('enterprise'),
    kind: text('kind'),
    checklist: text('checklist'),
    companions: Array.isArray(companions) ? companions : companions ? companions.split(',') : [],
    date: text('date')?.trim().slice(0, 10),
  };
}

/**
 * Checks the choices (kind, checklist, companions, date) for this person. Field by field, so the form can come back
 * with each problem beside its field.
 */
export async function checkChoices(
  deps: InspectionDeps,
  person: DirectoryPerson,
  kinds: readonly InspectionKind[],
  values: InspectionFormValues,
): Promise<{ ok: true; choices: InspectionChoices; companionIds: number[] } | { ok: false; errors: FieldErrors }> {
  const { db } = deps;
  const errors: FieldErrors = {};
  const kind = inspectionKindSchema.safeParse(values.kind || kinds[0]);
  if (!kind.success) errors.kind = '请选择检查类型';
  else if (!kinds.includes(kind.data)) {
    errors.kind =
      kind.data === 'self'
        ? '检查员不能选择“企业自查”：企业自查由单位主要负责人或安全管理员进行'
        : '单位人员只能进行“企业自查”';
  }
  const checklistCode = values.checklist?.trim() || undefined;
  if (checklistCode) {
    const checklist = await checklistWithItems(db, checklistCode);
    if (!checklist?.active) errors.checklist = `检查表 ${checklistCode} 不存在或已停用，请重新选择`;
  }
  let companionIds: number[] = [];
  let companions: string[] = [];
  if ((values.companions ?? []).length > 0) {
    if (kind.success && kind.data === 'self') errors.companions = '企业自查不选同行检查人';
    else {
      const resolved = await resolveCompanions(db, person, values.companions ?? []);
      if (!resolved.ok) errors.companions = resolved.message;
      else {
        companionIds = resolved.people.map((p) => p.id);
        companions = resolved.people.map((p) => p.openId!);
      }
    }
  }
  const today = deps.calendar.localDate(deps.clock.now());
  const date = values.date || today;
  const dateProblem = checkInspectionDate(date, today);
  if (dateProblem) errors.date = dateProblem;
  if (Object.keys(errors).length > 0 || !kind.success) return { ok: false, errors };
  return {
    ok: true,
    choices: { kind: kind.data, ...(checklistCode ? { checklist: checklistCode } : {}), companions, date },
    companionIds,
  };
}
