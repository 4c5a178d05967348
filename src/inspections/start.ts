/**
 * 检查 → 开始检查: the form's setup for the asker (kinds, checklists, companions), and starting an inspection from it —
 * the unit found as reporting finds it (exact name, then partial; a pick card; an unverified new unit in a township
 * of the inspector's scope), the checklist chosen or taken from the unit's sectors, the rights checked (canInspect),
 * and the inspection opened with its items copied. The cards after the form carry its choices; each use checks them
 * again, and the clicker's rights with them.
 */
import { and, eq, inArray, or } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { enterprises } from '../db/schema/index.js';
import { actorOf, type DirectoryPerson, findPersonByOpenId, loadUnit } from '../directory/lookup.js';
import { findUnitsByName, townshipsInInspectorScope } from '../directory/unit-search.js';
import { createUnverifiedEnterprise, DirectoryError } from '../directory/unverified.js';
import {
  type Calendar,
  canInspect,
  checkInspectionDate,
  type InspectionKind,
  inspectionKindSchema,
  inspectionKindsFor,
} from '../domain/index.js';
import type { InspectionFormField } from '../feishu/card-actions.js';
import { type ChecklistCardInput, firstPageOf } from './cards/checklist-card.js';
import type {
  InspectionChoiceValue,
  InspectionFormCardInput,
  InspectionFormValues,
  InspectionUnitPickInput,
} from './cards/inspection-form.js';
import { readActiveChecklists, readChecklist, readChecklistsForSectors } from './checklist-read.js';
import { companionOptions, resolveCompanions } from './companions.js';
import {
  abandonUnansweredInspections,
  findReusableInspection,
  insertOpenInspection,
  loadInspection,
  loadInspectionItems,
  lockInspectorStarts,
  PENDING,
  setCardMessage,
} from './repository.js';
import { checklistCardInput } from './view.js';

export interface InspectionDeps {
  db: Db;
  clock: Clock;
  calendar: Calendar;
}

/** An open inspection (and a report draft) belongs to what its person is doing for this long after they last touched it. */
export const INSPECTION_WINDOW_MS = 30 * 60 * 1000;

export const NOT_IN_DIRECTORY =
  '您还不在本系统的组织名录中，暂时不能进行检查。请联系管理员把您（手机号）加入名录并分配角色。';
const MAY_NOT_INSPECT =
  '只有检查员（对其辖区内单位）或企业主要负责人、安全管理员（对本单位企业自查）可以进行检查。如需开通，请联系管理员在组织名录中为您分配角色。';
const MAX_ENTERPRISE_LENGTH = 100;

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
async function kindsOf(
  db: Db,
  person: DirectoryPerson,
): Promise<{ kinds: InspectionKind[]; own: { code: string; name: string }[] }> {
  const own = await ownUnits(db, person);
  return { kinds: inspectionKindsFor(person.roles, own.length > 0), own };
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
      checklists: await readActiveChecklists(db),
      companions: kinds.some((k) => k !== 'self') ? await companionOptions(db, person) : [],
      today,
    },
  };
}

export type StartOutcome =
  /** Said in a toast; nothing changed. */
  | { kind: 'refused'; message: string }
  /** The form again, every value kept, each problem beside its field. */
  | { kind: 'invalid'; form: InspectionFormCardInput }
  | { kind: 'pickUnit'; pick: InspectionUnitPickInput }
  | {
      kind: 'pickChecklist';
      unit: { code: string; name: string };
      checklists: { code: string; name: string; sector: string }[];
      choices: InspectionChoices;
    }
  | { kind: 'started'; reused: boolean; inspectionId: number; card: ChecklistCardInput };

type FieldErrors = Partial<Record<InspectionFormField, string>>;

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
async function checkChoices(
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
    const checklist = await readChecklist(db, checklistCode);
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

/** 开始检查 on the form. */
export async function startFromForm(
  deps: InspectionDeps,
  input: { openId: string; formValue: Record<string, string | string[]> | undefined; messageId?: string },
): Promise<StartOutcome> {
  const person = await findPersonByOpenId(deps.db, input.openId);
  if (!person) return { kind: 'refused', message: NOT_IN_DIRECTORY };
  const values = readInspectionForm(input.formValue);
  const { kinds } = await kindsOf(deps.db, person);
  if (kinds.length === 0) return { kind: 'refused', message: MAY_NOT_INSPECT };
  const enterprise = (values.enterprise ?? '').trim().replace(/\s+/g, ' ');
  const checked = await checkChoices(deps, person, kinds, values);
  const errors: FieldErrors = checked.ok ? {} : { ...checked.errors };
  if (!enterprise) errors.enterprise = '请填写被检查单位';
  else if (enterprise.length > MAX_ENTERPRISE_LENGTH) {
    errors.enterprise = `单位名称最多 ${MAX_ENTERPRISE_LENGTH} 个字，当前 ${enterprise.length} 个字`;
  }
  if (!checked.ok || Object.keys(errors).length > 0) return invalidForm(deps, person, values, errors);
  const { choices, companionIds } = checked;
  return deps.db.transaction(async (tx) => {
    const d = { ...deps, db: tx };
    const found = await findInspectableUnits(tx, enterprise, person, choices.kind);
    if (found.kind === 'refused') return found;
    if (found.kind === 'pick') return { kind: 'pickUnit', pick: { ...found.pick, choices } } as const;
    return proceed(d, { person, enterpriseCode: found.code, choices, companionIds, messageId: input.messageId });
  });
}

/** A unit picked on the pick card, or a checklist on the checklist card: the choices it carries, checked again. */
export async function startFromPick(
  deps: InspectionDeps,
  input: { openId: string; enterpriseCode: string; choices: InspectionChoices; messageId?: string },
): Promise<StartOutcome> {
  const person = await findPersonByOpenId(deps.db, input.openId);
  if (!person) return { kind: 'refused', message: NOT_IN_DIRECTORY };
  const { kinds } = await kindsOf(deps.db, person);
  if (kinds.length === 0) return { kind: 'refused', message: MAY_NOT_INSPECT };
  const checked = await checkChoices(deps, person, kinds, input.choices);
  if (!checked.ok) {
    const unit = await loadUnit(deps.db, { code: input.enterpriseCode });
    return invalidForm(deps, person, { ...input.choices, enterprise: unit?.enterprise.name ?? '' }, checked.errors);
  }
  return deps.db.transaction((tx) =>
    proceed(
      { ...deps, db: tx },
      {
        person,
        enterpriseCode: input.enterpriseCode,
        choices: checked.choices,
        companionIds: checked.companionIds,
        messageId: input.messageId,
      },
    ),
  );
}

/** 登记新单位并开始检查: a unit the directory does not know, registered unverified in a township of the inspector's scope. */
export async function startWithNewUnit(
  deps: InspectionDeps,
  input: { openId: string; name: string; townshipCode: string; choices: InspectionChoices; messageId?: string },
): Promise<StartOutcome> {
  const person = await findPersonByOpenId(deps.db, input.openId);
  if (!person) return { kind: 'refused', message: NOT_IN_DIRECTORY };
  const { kinds } = await kindsOf(deps.db, person);
  const checked = await checkChoices(deps, person, kinds, input.choices);
  if (!checked.ok) return invalidForm(deps, person, { ...input.choices, enterprise: input.name }, checked.errors);
  if (checked.choices.kind === 'self') return { kind: 'refused', message: '企业自查只能检查名录中的本单位' };
  return deps.db.transaction(async (tx) => {
    const townships = await townshipsInInspectorScope(tx, actorOf(person));
    if (!townships.some((t) => t.code === input.townshipCode)) {
      return { kind: 'refused', message: '请选择您辖区内的乡镇' } as const;
    }
    let code: string;
    try {
      const created = await createUnverifiedEnterprise(tx, {
        name: input.name,
        regionCode: input.townshipCode,
        reportedBy: person.code,
        now: deps.clock.now(),
      });
      code = created.code;
    } catch (error) {
      if (error instanceof DirectoryError) return { kind: 'refused', message: error.message } as const;
      throw error;
    }
    return proceed(
      { ...deps, db: tx },
      {
        person,
        enterpriseCode: code,
        choices: checked.choices,
        companionIds: checked.companionIds,
        messageId: input.messageId,
      },
    );
  });
}

async function invalidForm(
  deps: InspectionDeps,
  person: DirectoryPerson,
  values: InspectionFormValues,
  errors: FieldErrors,
): Promise<StartOutcome> {
  const setup = await inspectionFormFor(deps, person, values, errors);
  return setup.ok ? { kind: 'invalid', form: setup.form } : { kind: 'refused', message: setup.message };
}

type UnitMatch =
  | { kind: 'one'; code: string }
  | { kind: 'pick'; pick: Omit<InspectionUnitPickInput, 'choices'> }
  | { kind: 'refused'; message: string };

/**
 * The unit as typed, among those this person may inspect with this kind: exact name first, then partial. An exact
 * name they may not inspect is refused with the reason; nothing they may inspect by a partial name lets an
 * inspector register the unit as new (in a township of their scope).
 */
async function findInspectableUnits(
  db: Db,
  typed: string,
  person: DirectoryPerson,
  kind: InspectionKind,
): Promise<UnitMatch> {
  const actor = actorOf(person);
  const { exact, rows } = await findUnitsByName(db, typed);
  const allowed: typeof rows = [];
  let refusal: string | null = null;
  for (const row of rows) {
    const unit = await loadUnit(db, { id: row.id });
    const decision = unit ? canInspect(actor, unit.unit, kind) : { allowed: false as const, reason: '' };
    if (decision.allowed) allowed.push(row);
    else refusal ??= decision.reason;
  }
  if (allowed.length === 1) return { kind: 'one', code: allowed[0]!.code };
  const townships = kind === 'self' ? [] : await townshipsInInspectorScope(db, actor);
  if (allowed.length === 0 && (exact || townships.length === 0)) {
    return {
      kind: 'refused',
      message: refusal ?? `名录中没有“${typed}”，请核对单位名称${kind === 'self' ? '（企业自查只能检查本单位）' : ''}`,
    };
  }
  return {
    kind: 'pick',
    pick: {
      typed,
      candidates: allowed.slice(0, 10).map((r) => ({ code: r.code, name: r.name, regionName: r.regionName })),
      townships,
    },
  };
}

/** The unit is known: rights, the checklist, then the inspection (a recent identical one continues). */
async function proceed(
  deps: InspectionDeps,
  input: {
    person: DirectoryPerson;
    enterpriseCode: string;
    choices: InspectionChoices;
    companionIds: number[];
    messageId?: string;
  },
): Promise<StartOutcome> {
  const { db, clock } = deps;
  const { person, choices } = input;
  const unit = await loadUnit(db, { code: input.enterpriseCode });
  if (!unit) return { kind: 'refused', message: `名录中没有单位 ${input.enterpriseCode}` };
  const decision = canInspect(actorOf(person), unit.unit, choices.kind);
  if (!decision.allowed) return { kind: 'refused', message: decision.reason };
  const formBack = (errors: FieldErrors) =>
    invalidForm(deps, person, { ...choices, enterprise: unit.enterprise.name }, errors);

  let checklistCode = choices.checklist;
  if (!checklistCode) {
    const fitting = await readChecklistsForSectors(db, unit.enterprise.sectors);
    if (fitting.length === 0) {
      const sectors = unit.enterprise.sectors.length > 0 ? unit.enterprise.sectors.join('、') : '未填写';
      return formBack({
        checklist: `“${unit.enterprise.name}”的行业（${sectors}）没有可用的检查表，请在“检查表”中选择一张`,
      });
    }
    if (fitting.length > 1) {
      return {
        kind: 'pickChecklist',
        unit: { code: unit.enterprise.code, name: unit.enterprise.name },
        checklists: fitting.slice(0, 40),
        choices,
      };
    }
    checklistCode = fitting[0]!.code;
  }
  const checklist = await readChecklist(db, checklistCode);
  if (!checklist?.active) return formBack({ checklist: `检查表 ${checklistCode} 不存在或已停用，请重新选择` });
  if (checklist.items.length === 0)
    return formBack({ checklist: `检查表“${checklist.name}”还没有检查项，请选择其他检查表` });

  const now = clock.now();
  await lockInspectorStarts(db, person.id);
  const reusable = await findReusableInspection(db, {
    inspectorId: person.id,
    enterpriseId: unit.enterprise.id,
    checklistId: checklist.id,
    date: choices.date,
    since: new Date(now.getTime() - INSPECTION_WINDOW_MS),
  });
  let id: number;
  if (reusable) {
    id = reusable.id;
    if (input.messageId) await setCardMessage(db, id, input.messageId);
  } else {
    id = await insertOpenInspection(db, {
      enterprise: { id: unit.enterprise.id, regionId: unit.region.id, departmentId: unit.department?.id ?? null },
      kind: choices.kind,
      checklist,
      inspectorId: person.id,
      companionIds: input.companionIds,
      date: choices.date,
      cardMessageId: input.messageId ?? null,
      now,
    });
    await abandonUnansweredInspections(db, { inspectorId: person.id, exceptId: id, now });
  }
  const row = (await loadInspection(db, id))!;
  const items = await loadInspectionItems(db, id);
  const card = await checklistCardInput(db, row, items, { page: 0 });
  // A continued inspection opens where its answers stop.
  const pending = items.filter((item) => item.result === PENDING).map((item) => item.code);
  return {
    kind: 'started',
    reused: reusable !== null,
    inspectionId: id,
    card: { ...card, page: firstPageOf(card, pending) },
  };
}
