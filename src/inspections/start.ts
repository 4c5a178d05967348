/**
 * 检查 → 开始检查: starting an inspection from the form — the unit found as reporting finds it (exact name, then
 * partial; a pick card; an unverified new unit in a township of the inspector's scope), the checklist chosen or taken
 * from the unit's sectors, the rights checked (canInspect), and the inspection opened with its items copied. The
 * cards after the form carry its choices; each use checks them again (form.ts), and the clicker's rights with them.
 */
import type { Db } from '../db/client.js';
import { actorOf, type DirectoryPerson, findPersonByOpenId, loadUnit } from '../directory/lookup.js';
import { findUnitsByName, townshipsInInspectorScope } from '../directory/unit-search.js';
import { createUnverifiedEnterprise, DirectoryError } from '../directory/unverified.js';
import { canInspect, type InspectionKind } from '../domain/index.js';
import { type ChecklistCardInput, firstPageOf } from './cards/checklist-card.js';
import type {
  InspectionFormCardInput,
  InspectionFormValues,
  InspectionUnitPickInput,
} from './cards/inspection-form.js';
import { checklistsForSectors, checklistWithItems } from './checklists/store.js';
import {
  checkChoices,
  type FieldErrors,
  INSPECTION_WINDOW_MS,
  type InspectionChoices,
  type InspectionDeps,
  inspectionFormFor,
  kindsOf,
  MAX_ENTERPRISE_LENGTH,
  MAY_NOT_INSPECT,
  NOT_IN_DIRECTORY,
  readInspectionForm,
} from './form.js';
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
import { checklistCardInput, inspectionContext } from './view.js';

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
    const fitting = await checklistsForSectors(db, unit.enterprise.sectors);
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
  const checklist = await checklistWithItems(db, checklistCode);
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
  const card = checklistCardInput(row, items, await inspectionContext(db, row), { page: 0 });
  // A continued inspection opens where its answers stop.
  const pending = items.filter((item) => item.result === PENDING).map((item) => item.code);
  return {
    kind: 'started',
    reused: reusable !== null,
    inspectionId: id,
    card: { ...card, page: firstPageOf(card, pending) },
  };
}
