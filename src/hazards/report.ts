/**
 * 上报 → 登记建档: report drafts, the enterprise lookup, numbering and the report transaction (hazard row + audit
 * trail + photos + notifications, all or nothing). 四不两直: nothing is sent to the unit or the township before
 * the reporter submits.
 *
 * Kept whole because its three ways in (the form's 提交, a unit picked or registered on the pick card, and the report
 * form an inspection's failed item prefilled) end in one report transaction, createReport; the notices it sends
 * live in report-notices.ts.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { enterprises, hazards } from '../db/schema/index.js';
import { actorOf, type DirectoryPerson, findPersonByOpenId, loadUnit } from '../directory/lookup.js';
import { findReportableUnits, townshipsInInspectorScope } from '../directory/unit-search.js';
import { createUnverifiedEnterprise, DirectoryError } from '../directory/unverified.js';
import {
  type Calendar,
  canList,
  canOrderSuspension,
  type EscalationPolicy,
  type HazardContext,
  hasRoleOver,
  isUnitOfficer,
  type PermissionDecision,
  type PersonActor,
  reportHazard,
} from '../domain/index.js';
import { outboxIdOfMessage } from '../feishu/outbox.js';
import { linkItemToHazard } from '../inspections/repository.js';
import type { ReachOptions } from '../reminders/reach.js';
import { fallbackNote } from '../reminders/sweep/compose.js';
import { type SweptStep, sendStepsOnReport } from '../reminders/sweep/index.js';
import { checkTipForReport, confirmTipWithHazard, type TipOrigin } from '../tips/confirm.js';
import { type AnnounceOptions, announceRegistration } from './announce.js';
import { loadBasisCatalog } from './basis-clauses.js';
import { registerHazardCard } from './cards/delivery.js';
import type { CardLinks } from './cards/detail-link.js';
import type { CardAudience, HazardCardView } from './cards/hazard-card.js';
import { type DocumentSettings, issueRectificationNotice } from './documents/issue.js';
import {
  createDraft,
  lockOwnDraft,
  originOf,
  type ReportOrigin,
  reopenDraft,
  saveDraftForm,
  submitDraft,
  tipOriginOf,
} from './drafts.js';
import { startGovernancePlan } from './governance-plan.js';
import {
  checkReportForm,
  RESPONSIBLE_LABELS,
  type ReportField,
  type ReportFormValues,
  readFormValues,
  type ValidReport,
} from './report-input.js';
import { sendReportNotices } from './report-notices.js';
import { insertHazard, loadHazard, nextHazardNumber } from './repository.js';
import { buildHazardView } from './view.js';

export interface HazardServiceDeps {
  db: Db;
  clock: Clock;
  calendar: Calendar;
  /** Where the web view is: 查看详情 on the cards (detail-link.ts); undefined = no web view, no links. */
  links: CardLinks;
  /** The escalation policy: its steps `on: reported` are sent in the report's transaction. */
  policy: EscalationPolicy;
  /** Counts the steps sent at report time in the metrics, as the sweep's are. */
  onStepsSent?: (steps: SweptStep[]) => void;
  /** How people can be reached: with an SMS gateway, the unit's people outside Feishu get the notice by SMS. */
  reach?: ReachOptions;
  logger?: Logger;
  /** The documents' settings (the county's name on them). */
  documents?: DocumentSettings;
  /** 专班群 and the unit's group chat (TASK_GROUPS, NOTIFY_UNIT_CHAT); unset = neither. */
  announce?: AnnounceOptions;
}

/** Photos and drafts within this window belong to the report or rectification in progress. */
export const SESSION_WINDOW_MS = 30 * 60 * 1000;

export const NOT_IN_DIRECTORY =
  '您还不在本系统的组织名录中，暂时不能使用隐患上报与整改功能。请联系管理员把您（手机号）加入名录并分配角色。';

/**
 * May this person report at all? An inspector (any scope) or a unit's principal / safety officer. The unit itself
 * is checked again on submit (canReport).
 */
export async function mayOpenReport(db: Db, person: DirectoryPerson): Promise<PermissionDecision> {
  if (person.roles.some((r) => r.role === 'inspector')) return { allowed: true };
  if (person.roles.some((r) => r.role === 'enterprise_principal' || r.role === 'enterprise_safety_officer')) {
    return { allowed: true };
  }
  const [own] = await db
    .select({ id: enterprises.id })
    .from(enterprises)
    .where(
      and(
        eq(enterprises.active, true),
        sql`(${enterprises.principalId} = ${person.id} or ${enterprises.safetyOfficerId} = ${person.id})`,
      ),
    )
    .limit(1);
  if (own) return { allowed: true };
  return {
    allowed: false,
    reason:
      '只有检查员（对其辖区内单位）或企业主要负责人、安全管理员（对本单位自查自报）可以上报隐患。如需开通，请联系管理员在组织名录中为您分配角色。',
  };
}

/** The person's open draft from the last 30 minutes, or a new one. */
export async function openReportDraft(
  db: Db,
  personId: number,
  now: Date,
): Promise<{ id: number; photoCount: number }> {
  const since = new Date(now.getTime() - SESSION_WINDOW_MS);
  const open = await reopenDraft(db, personId, since, now);
  return open ?? { id: await createDraft(db, personId, now), photoCount: 0 };
}

export type ReportOutcome =
  | { kind: 'not_in_directory'; message: string }
  | { kind: 'forbidden'; message: string }
  | { kind: 'invalid'; values: ReportFormValues; errors: Partial<Record<ReportField, string>>; draftId: number }
  | {
      kind: 'pick';
      draftId: number;
      typed: string;
      candidates: { code: string; name: string; regionName: string }[];
      townships: { code: string; name: string }[];
    }
  | { kind: 'already_reported'; code: string; view: HazardCardView; audience: CardAudience }
  | {
      kind: 'reported';
      code: string;
      view: HazardCardView;
      audience: CardAudience;
      /** Whom the report could not reach and whom it told instead (fallbackNote), for the reporter's toast. */
      fallbackNotes: string[];
    };

interface DraftForm {
  values: ReportFormValues;
}

/** 提交 on the report form: checks every field, finds the unit, and reports (or asks which unit is meant). */
export async function submitReportForm(
  deps: HazardServiceDeps,
  input: {
    openId: string;
    draftId: number;
    formValue: Record<string, string | string[]> | undefined;
    messageId?: string;
  },
): Promise<ReportOutcome> {
  const { db, clock, calendar } = deps;
  const now = clock.now();
  const person = await findPersonByOpenId(db, input.openId);
  if (!person) return { kind: 'not_in_directory', message: NOT_IN_DIRECTORY };
  const values = readFormValues(input.formValue);
  const checked = checkReportForm(values, now, calendar, await loadBasisCatalog(db));
  if (!checked.ok) return { kind: 'invalid', values, errors: checked.errors, draftId: input.draftId };
  return db.transaction(async (tx) => {
    const draft = await lockOwnDraft(tx, input.draftId, person.id);
    if (!draft) return { kind: 'forbidden', message: '这张上报表单不是您的，请发送「上报」打开自己的表单' } as const;
    if (draft.hazardId) return alreadyReported(tx, deps, draft.hazardId, person);
    await saveDraftForm(tx, draft.id, { values } satisfies DraftForm, now);
    const origin = originOf(draft);
    if (origin) {
      // A failed checklist item: the report is about the inspected unit, which the form may not change.
      if (checked.report.enterprise !== origin.enterpriseName) {
        return {
          kind: 'invalid',
          values,
          draftId: draft.id,
          errors: {
            enterprise: `此表单来自对「${origin.enterpriseName}」的检查，单位不能更改；上报其他单位的隐患请发送「上报」`,
          },
        } as const;
      }
      return createReport(tx, deps, {
        person,
        draftId: draft.id,
        report: checked.report,
        enterpriseCode: origin.enterpriseCode,
        messageId: input.messageId,
        origin,
      });
    }
    const actor = actorOf(person);
    const found = await findReportableUnits(tx, checked.report.enterprise, actor);
    if (found.kind === 'one') {
      return createReport(tx, deps, {
        person,
        draftId: draft.id,
        report: checked.report,
        enterpriseCode: found.code,
        messageId: input.messageId,
        tip: tipOriginOf(draft),
      });
    }
    if (found.kind === 'forbidden') return { kind: 'forbidden', message: found.message } as const;
    return {
      kind: 'pick',
      draftId: draft.id,
      typed: checked.report.enterprise,
      candidates: found.candidates,
      townships: await townshipsInInspectorScope(tx, actor),
    } as const;
  });
}

/** A unit chosen on the pick card (`enterpriseCode`), or a new unverified unit in `townshipCode`. */
export async function completeReport(
  deps: HazardServiceDeps,
  input: { openId: string; draftId: number; enterpriseCode?: string; townshipCode?: string; messageId?: string },
): Promise<ReportOutcome> {
  const { db, clock, calendar } = deps;
  const now = clock.now();
  const person = await findPersonByOpenId(db, input.openId);
  if (!person) return { kind: 'not_in_directory', message: NOT_IN_DIRECTORY };
  return db.transaction(async (tx) => {
    const draft = await lockOwnDraft(tx, input.draftId, person.id);
    if (!draft) return { kind: 'forbidden', message: '这张卡片不是您的上报，请发送「上报」重新开始' } as const;
    if (draft.hazardId) return alreadyReported(tx, deps, draft.hazardId, person);
    const values = (draft.form as DraftForm | null)?.values;
    if (!values) return { kind: 'forbidden', message: '上报内容已失效，请发送「上报」重新填写' } as const;
    const checked = checkReportForm(values, now, calendar, await loadBasisCatalog(tx));
    if (!checked.ok) return { kind: 'invalid', values, errors: checked.errors, draftId: draft.id } as const;
    // A failed checklist item's report stays with the inspected unit, whatever a (forged) pick says.
    let enterpriseCode = originOf(draft)?.enterpriseCode ?? input.enterpriseCode;
    if (!enterpriseCode) {
      const townships = await townshipsInInspectorScope(tx, actorOf(person));
      if (!input.townshipCode || !townships.some((t) => t.code === input.townshipCode)) {
        return { kind: 'forbidden', message: '请选择您辖区内的乡镇' } as const;
      }
      try {
        const created = await createUnverifiedEnterprise(tx, {
          name: checked.report.enterprise,
          regionCode: input.townshipCode,
          reportedBy: person.code,
          now,
        });
        enterpriseCode = created.code;
      } catch (error) {
        if (error instanceof DirectoryError) return { kind: 'forbidden', message: error.message } as const;
        throw error;
      }
    }
    return createReport(tx, deps, {
      person,
      draftId: draft.id,
      report: checked.report,
      enterpriseCode,
      messageId: input.messageId,
      origin: originOf(draft),
      tip: tipOriginOf(draft),
    });
  });
}

async function alreadyReported(
  db: Db,
  deps: HazardServiceDeps,
  hazardId: number,
  person: DirectoryPerson,
): Promise<ReportOutcome> {
  const [row] = await db.select({ code: hazards.code }).from(hazards).where(eq(hazards.id, hazardId));
  const record = await loadHazard(db, row!.code);
  const view = await buildHazardView(db, record!, deps.clock.now(), deps.calendar, deps.links);
  const audience: CardAudience = record!.hazard.responsible === person.code ? 'rectifier' : 'verifier';
  return { kind: 'already_reported', code: row!.code, view, audience };
}

async function createReport(
  tx: Db,
  deps: HazardServiceDeps,
  input: {
    person: DirectoryPerson;
    draftId: number;
    report: ValidReport;
    enterpriseCode: string;
    messageId?: string;
    /** The failed checklist item the report comes from: the hazard is linked to its inspection and item. */
    origin?: ReportOrigin | null;
    /** The tip (群众举报) found true that the report registers: source `public_tip`, and the tip is confirmed. */
    tip?: TipOrigin | null;
  },
): Promise<ReportOutcome> {
  const { calendar, clock } = deps;
  const now = clock.now();
  const { person, report } = input;
  const unit = await loadUnit(tx, { code: input.enterpriseCode });
  if (!unit) return { kind: 'forbidden', message: `名录中没有单位 ${input.enterpriseCode}` };
  const actor = actorOf(person);
  const formValues = () =>
    ({
      ...report,
      level: report.grade,
      suspend: report.suspended ? 'yes' : 'no',
      basis: report.basisCode ?? '',
      basis_other: report.basisCode === 'other' ? (report.basis ?? '') : '',
    }) as ReportFormValues;
  // 定责任人: the principal unless the reporter chose the safety officer, who must then be in the directory.
  if (report.responsible === 'safety_officer' && !unit.safetyOfficer) {
    return {
      kind: 'invalid',
      draftId: input.draftId,
      values: formValues(),
      errors: { responsible: `名录中 ${unit.enterprise.name} 没有安全管理员：请选择单位主要负责人，或先补充名录` },
    };
  }
  const result = reportHazard(
    {
      unit: unit.unit,
      grade: report.grade,
      deadline: report.deadline,
      suspended: report.suspended,
      ...(report.responsible === 'safety_officer' ? { responsible: unit.safetyOfficer!.code } : {}),
    },
    actor,
    now,
    calendar,
  );
  if (!result.ok) {
    if (result.error.code === 'invalid_input' && result.error.field) {
      return {
        kind: 'invalid',
        draftId: input.draftId,
        values: formValues(),
        errors: { [result.error.field]: result.error.message },
      };
    }
    return { kind: 'forbidden', message: result.error.message };
  }
  const hazard = result.hazard;
  // A tip's report confirms it: checked (and the tip locked) before a number is taken.
  if (input.tip) {
    const refusal = await checkTipForReport(tx, input.tip, actor);
    if (refusal) return { kind: 'forbidden', message: refusal };
  }
  const number = await nextHazardNumber(tx, Number(calendar.localDate(now).slice(0, 4)));
  const ids = new Map<string, number>([[person.code, person.id]]);
  if (unit.principal) ids.set(unit.principal.code, unit.principal.id);
  if (unit.safetyOfficer) ids.set(unit.safetyOfficer.code, unit.safetyOfficer.id);
  const idOf = (code: string | null) => (code === null ? null : (ids.get(code) ?? null));
  const responsible = hazard.responsible
    ? [unit.principal, unit.safetyOfficer].find((p) => p?.code === hazard.responsible)
    : null;
  const hazardId = await insertHazard(tx, {
    number,
    unit,
    reporterId: person.id,
    hazard,
    events: result.events,
    idOf,
    now,
    details: {
      sector: report.sector,
      description: report.description,
      location: report.location,
      measures: report.measures,
      standard: report.standard,
      basis: report.basis,
      basisCode: report.basisCode,
      governancePlan:
        report.grade === 'major'
          ? {
              measures: report.measures,
              responsibility: responsible
                ? `${responsible.name}（${RESPONSIBLE_LABELS[report.responsible]}）`
                : '待指定',
              funds: report.funds ?? '',
              deadline: hazard.deadline,
              contingency: report.contingency ?? '',
            }
          : null,
      ...(input.origin ? { source: input.origin.source, inspectionId: input.origin.inspectionId } : {}),
      ...(input.tip ? { source: 'public_tip' as const } : {}),
    },
  });
  await submitDraft(tx, input.draftId, hazardId, now);
  if (input.tip) {
    await confirmTipWithHazard(tx, {
      origin: input.tip,
      hazardId,
      hazardCode: number.code,
      actorId: person.id,
      calendar,
      now,
    });
  }
  if (input.origin) {
    await linkItemToHazard(tx, {
      inspectionId: input.origin.inspectionId,
      itemCode: input.origin.itemCode,
      hazardId,
      hazardCode: number.code,
      actorId: person.id,
      now,
    });
  }

  const record = (await loadHazard(tx, number.code))!;
  const view = await buildHazardView(tx, record, now, calendar, deps.links);
  const reporterAudience: CardAudience = hazard.responsible === person.code ? 'rectifier' : 'verifier';

  // The form the reporter filled in becomes the hazard's card (the callback answer shows it; updates patch it).
  if (input.messageId) {
    const formRowId = await outboxIdOfMessage(tx, input.messageId);
    if (formRowId) {
      await registerHazardCard(tx, {
        hazardId,
        outboxId: formRowId,
        recipient: person.openId ?? '',
        audience: reporterAudience,
        kind: 'report',
        now,
      });
    }
  }

  const reach = deps.reach ?? { sms: false };
  const noticeDocument = await issueRectificationNotice(tx, {
    record,
    calendar,
    settings: deps.documents ?? {},
    now,
  });
  const notes = await sendReportNotices(tx, {
    noticeDocument,
    hazard: { id: hazardId, code: number.code, deadline: hazard.deadline, grade: hazard.grade },
    description: report.description,
    unit,
    reporter: person,
    responsible: responsible ?? null,
    view,
    reach,
    now,
  });
  // Whoever the escalation policy tells the moment a hazard is reported (a major hazard's 加急 to the leaders).
  const steps = await sendStepsOnReport(
    tx,
    { policy: deps.policy, calendar, onStepsSent: deps.onStepsSent, reach, links: deps.links },
    hazardId,
    now,
  );
  for (const step of steps) notes.push(...step.fallbacks.map((f) => fallbackNote(f, reach)));
  // A major hazard: the unit's report and 治理方案, on its own clock.
  notes.push(
    ...(await startGovernancePlan(tx, deps, {
      hazardId,
      code: number.code,
      grade: hazard.grade,
      description: report.description,
      unit,
      responsible: responsible ?? null,
      now,
    })),
  );
  // After the steps on report: the 专班群's posts start after what the registration itself sent.
  await announceRegistration(tx, deps.announce, {
    id: hazardId,
    code: number.code,
    grade: hazard.grade,
    deadline: hazard.deadline,
    description: report.description,
    enterpriseId: unit.enterprise.id,
  });
  return { kind: 'reported', code: number.code, view, audience: reporterAudience, fallbackNotes: notes };
}

/**
 * Which buttons a viewer's card gets: the rectifying side, an inspector over the unit, the county's or department's
 * authority (挂牌督办, 停产停业, 复产验收), or none.
 */
export function audienceFor(actor: PersonActor, hazard: HazardContext): CardAudience {
  if (hazard.responsible === actor.person || isUnitOfficer(actor, hazard)) return 'rectifier';
  if (hasRoleOver(actor, 'inspector', hazard)) {
    return canOrderSuspension(actor, hazard).allowed ? 'department' : 'verifier';
  }
  if (canList(actor, hazard).allowed || canOrderSuspension(actor, hazard).allowed) return 'authority';
  return 'viewer';
}
