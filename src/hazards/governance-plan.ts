/**
 * The major hazard's report and 治理方案 (issue #21 point 2): the form sent to the responsible person when the hazard
 * is registered (its clock started with it), the submission (every part required; what was typed is kept), the
 * supervising department's 通过 / 退回, and the plan as the PDF renders it. One transaction each; every message an
 * outbox row in it; the trail through the hazards' repository.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { people, roleAssignments } from '../db/schema/index.js';
import { actorOf, findPersonByOpenId, type PersonRecord, type UnitRecord } from '../directory/lookup.js';
import {
  type Calendar,
  canReviewPlan,
  canSubmitPlan,
  checkPlan,
  clockApplies,
  type EscalationPolicy,
  HAZARD_CLOCK_KINDS,
  type HazardEvent,
  type HazardGrade,
  PLAN_REASON_LIMIT,
  planProblemsText,
  typedParts,
} from '../domain/index.js';
import { enqueueMessage } from '../feishu/outbox.js';
import { refreshHazardCards } from './cards/delivery.js';
import type { CardLinks } from './cards/detail-link.js';
import { buildPlanFormCard, buildPlanNoticeCard, buildPlanReviewCard } from './cards/plan-cards.js';
import { clocksOf, dueDateOf, startClock, stopClock } from './clocks.js';
import { storeGovernancePlan } from './documents/index.js';
import { planDocument } from './plan-document.js';
import { planStateOf, planVersions, saveDecision, saveDraft, saveSubmission } from './plan-store.js';
import { type HazardRecord, insertEvents, loadHazard } from './repository.js';
import { buildHazardView } from './view.js';

export interface PlanServiceDeps {
  db: Db;
  clock: Clock;
  calendar: Calendar;
  policy: EscalationPolicy;
  /** 查看详情 on the refreshed cards (detail-link.ts). */
  links: CardLinks;
}

/** A click's answer: a toast and, where the card changes, the new card. */
export interface PlanAnswer {
  toast: { type: 'success' | 'error' | 'info' | 'warning'; content: string };
  card?: object;
}

const NOT_IN_DIRECTORY = '您不在名录中，无法操作，请联系管理员';
const DONE = '已处理';

// ---------------------------------------------------------------------------------------------------------------
// At registration

/**
 * For a major hazard registered in transaction `tx`: starts its plan clock and sends the form to the responsible
 * person (or, when they cannot be reached on Feishu, to the unit's principal or safety officer). Answers a note for
 * the reporter when nobody on the unit's side could be sent the form.
 */
export async function startGovernancePlan(
  tx: Db,
  deps: Pick<PlanServiceDeps, 'policy' | 'calendar'>,
  input: {
    hazardId: number;
    code: string;
    grade: HazardGrade;
    description: string;
    unit: UnitRecord;
    responsible: PersonRecord | null;
    now: Date;
  },
): Promise<string[]> {
  if (!clockApplies('plan', input.grade)) return [];
  const due = dueDateOf('plan', input.now, deps.policy, deps.calendar);
  await startClock(tx, { hazardId: input.hazardId, kind: 'plan', at: input.now, due });
  const candidates = [input.responsible, input.unit.principal, input.unit.safetyOfficer];
  const to = candidates.find((p) => p?.openId && (!('active' in p) || p.active !== false));
  if (!to?.openId) return ['单位方无人可在飞书接收治理方案表，请告知单位提交治理方案'];
  await enqueueMessage(tx, {
    to: { openId: to.openId },
    msgType: 'interactive',
    content: buildPlanFormCard({
      code: input.code,
      unitName: input.unit.enterprise.name,
      description: input.description,
      due,
      dueNote: HAZARD_CLOCK_KINDS.plan.note,
      values: {},
    }),
    topic: `hazard:${input.code}:plan-form`,
  });
  return [];
}

// ---------------------------------------------------------------------------------------------------------------
// 提交治理方案

/** The running (or last) plan clock's due date. */
async function planDue(db: Db, hazardId: number): Promise<string | null> {
  return (await clocksOf(db, hazardId, 'plan')).at(-1)?.due ?? null;
}

export async function submitPlan(
  deps: PlanServiceDeps,
  input: { openId: string; code: string; formValue: Record<string, unknown> | undefined },
): Promise<PlanAnswer> {
  const person = await findPersonByOpenId(deps.db, input.openId);
  if (!person) return { toast: { type: 'error', content: NOT_IN_DIRECTORY } };
  return deps.db.transaction(async (tx): Promise<PlanAnswer> => {
    const now = deps.clock.now();
    const record = await loadHazard(tx, input.code, { forUpdate: true });
    if (record?.row.grade !== 'major') {
      return { toast: { type: 'error', content: `没有编号为 ${input.code} 的重大隐患` } };
    }
    const may = canSubmitPlan(actorOf(person), record.hazard);
    if (!may.allowed) return { toast: { type: 'error', content: may.reason } };
    const rows = await planVersions(tx, record.row.id);
    const state = planStateOf(rows);
    const parts = typedParts(input.formValue ?? {});
    if (state === 'submitted' || state === 'accepted' || record.row.status === 'closed') {
      const said =
        state === 'accepted' ? '治理方案已通过审核' : state === 'submitted' ? '治理方案已提交，正在审核' : '隐患已销号';
      return {
        toast: { type: 'info', content: `${DONE}：${said}` },
        card: buildPlanNoticeCard({
          title: `治理方案：${input.code}`,
          lines: [`${DONE}：${said}。`],
          template: 'grey',
        }),
      };
    }
    const due = await planDue(tx, record.row.id);
    const returned = rows.filter((r) => r.status === 'returned').at(-1);
    const check = checkPlan(input.formValue ?? {});
    if (!check.ok) {
      // The card keeps what was typed; the draft keeps it too, for the next form (after a return, a new card).
      await saveDraft(tx, record.row.id, rows, parts, now);
      return {
        toast: { type: 'error', content: planProblemsText(check) },
        card: buildPlanFormCard({
          ...formContext(record, due),
          values: parts,
          errors: check.errors,
          ...(returned ? { returned: await returnedBy(tx, returned) } : {}),
        }),
      };
    }
    const version = await saveSubmission(tx, {
      hazardId: record.row.id,
      rows,
      parts: check.parts,
      byId: person.id,
      now,
    });
    await trail(tx, record, person, [{ type: 'plan_submitted', version, at: now, by: person.code }]);
    const reviewers = await planReviewers(tx, record.unit);
    const submittedAt = stamp(deps.calendar, now);
    for (const reviewer of reviewers) {
      await enqueueMessage(tx, {
        to: { openId: reviewer.openId! },
        msgType: 'interactive',
        content: buildPlanReviewCard({
          code: record.row.code,
          unitName: record.unit.enterprise.name,
          version,
          parts: check.parts,
          submittedBy: person.name,
          submittedAt,
          due,
        }),
        topic: `hazard:${record.row.code}:plan-review:${version}`,
      });
    }
    await refresh(tx, deps, record, now);
    const to =
      reviewers.length > 0 ? reviewers.map((r) => r.name).join('、') : '行业主管部门（名录中暂无可接收的审核人）';
    return {
      toast: { type: 'success', content: `治理方案（第 ${version} 版）已提交，等待${to}审核` },
      card: buildPlanNoticeCard({
        title: `治理方案已提交：${record.row.code}`,
        lines: [
          `第 ${version} 版已于 ${submittedAt} 提交，等待审核：${to}。`,
          ...(due ? [`提交期限：${due}（${HAZARD_CLOCK_KINDS.plan.note}）`] : []),
        ],
        parts: check.parts,
        template: 'blue',
      }),
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// 通过 / 退回

export async function reviewPlan(
  deps: PlanServiceDeps,
  input: { openId: string; code: string; version: number; decision: 'accept' | 'return'; reason: string },
): Promise<PlanAnswer> {
  const person = await findPersonByOpenId(deps.db, input.openId);
  if (!person) return { toast: { type: 'error', content: NOT_IN_DIRECTORY } };
  return deps.db.transaction(async (tx): Promise<PlanAnswer> => {
    const now = deps.clock.now();
    const record = await loadHazard(tx, input.code, { forUpdate: true });
    if (!record) return { toast: { type: 'error', content: `没有编号为 ${input.code} 的隐患` } };
    const may = canReviewPlan(actorOf(person), record.hazard, record.unit.department?.name ?? null);
    if (!may.allowed) return { toast: { type: 'error', content: may.reason } };
    const rows = await planVersions(tx, record.row.id);
    const row = rows.find((r) => r.version === input.version);
    if (row?.status !== 'submitted') {
      const said =
        row?.status === 'accepted'
          ? '该版治理方案已通过'
          : row?.status === 'returned'
            ? '该版治理方案已退回'
            : '该版治理方案已不在待审核状态';
      return {
        toast: { type: 'info', content: `${DONE}：${said}` },
        card: buildPlanNoticeCard({
          title: `治理方案：${input.code}`,
          lines: [`${DONE}：${said}。`],
          template: 'grey',
        }),
      };
    }
    const parts = typedParts(row.parts);
    const due = await planDue(tx, record.row.id);
    const reason = input.reason.trim();
    if (input.decision === 'return' && (reason.length === 0 || [...reason].length > PLAN_REASON_LIMIT)) {
      const reasonError = reason
        ? `退回理由最多 ${PLAN_REASON_LIMIT} 字，请精简`
        : '退回须写明理由：请说明需要修改之处';
      const submitter = row.submittedById ? (await peopleNamed(tx, [row.submittedById]))[0] : null;
      return {
        toast: { type: 'error', content: reasonError },
        card: buildPlanReviewCard({
          code: record.row.code,
          unitName: record.unit.enterprise.name,
          version: row.version,
          parts,
          submittedBy: submitter?.name ?? '—',
          submittedAt: row.submittedAt ? stamp(deps.calendar, row.submittedAt) : '—',
          due,
          reason,
          reasonError,
        }),
      };
    }
    const decision = input.decision === 'accept' ? 'accepted' : 'returned';
    const saved = await saveDecision(tx, {
      hazardId: record.row.id,
      version: row.version,
      decision,
      reason: decision === 'returned' ? reason : null,
      byId: person.id,
      now,
    });
    if (!saved) return { toast: { type: 'info', content: DONE } };
    const event: HazardEvent =
      decision === 'accepted'
        ? { type: 'plan_accepted', version: row.version, at: now, by: person.code }
        : { type: 'plan_returned', version: row.version, reason, at: now, by: person.code };
    await trail(tx, record, person, [event]);
    if (decision === 'accepted')
      await stopClock(tx, { hazardId: record.row.id, kind: 'plan', at: now, reason: 'plan_accepted' });
    const submitter = row.submittedById ? ((await peopleNamed(tx, [row.submittedById]))[0] ?? null) : null;
    const responsible = record.row.responsibleId ? (record.people.get(record.row.responsibleId) ?? null) : null;
    const told = [
      ...new Map(
        [responsible, submitter].filter((p): p is PersonRecord => !!p?.openId).map((p) => [p.openId, p]),
      ).values(),
    ];
    // The accepted plan is a document too (治理方案 PDF): kept with the hazard, sent to the unit and the reviewer.
    if (decision === 'accepted') {
      const plan = await planDocument(tx, record.row.code, deps.calendar);
      if (plan) {
        const sendTo = [...new Set([...told.map((p) => p.openId!), ...(person.openId ? [person.openId] : [])])];
        await storeGovernancePlan(tx, {
          hazardId: record.row.id,
          plan,
          sendTo,
          timeZone: deps.calendar.settings.timeZone,
          now,
        });
      }
    }
    for (const p of told) {
      if (decision === 'accepted') {
        await enqueueMessage(tx, {
          to: { openId: p.openId! },
          msgType: 'text',
          content: {
            text: `${record.row.code}：治理方案（第 ${row.version} 版）已由${person.name}审核通过，请按方案组织治理，按期完成整改。`,
          },
          topic: `hazard:${record.row.code}:plan-accepted`,
        });
      } else {
        await enqueueMessage(tx, {
          to: { openId: p.openId! },
          msgType: 'interactive',
          content: buildPlanFormCard({
            ...formContext(record, due),
            values: parts,
            returned: { reason, by: person.name, version: row.version },
          }),
          topic: `hazard:${record.row.code}:plan-returned:${row.version}`,
        });
      }
    }
    await refresh(tx, deps, record, now);
    const said =
      decision === 'accepted'
        ? `治理方案第 ${row.version} 版已通过，已告知单位；治理方案计时已停止`
        : `治理方案第 ${row.version} 版已退回，已将退回理由告知单位；提交期限 ${due ?? '—'} 不变`;
    return {
      toast: { type: 'success', content: said },
      card: buildPlanNoticeCard({
        title: `${decision === 'accepted' ? '治理方案已通过' : '治理方案已退回'}：${record.row.code}`,
        lines: [`${said}。`, ...(decision === 'returned' ? [`退回理由：${reason}`] : [])],
        parts,
        template: decision === 'accepted' ? 'green' : 'orange',
      }),
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function formContext(record: HazardRecord, due: string | null) {
  return {
    code: record.row.code,
    unitName: record.unit.enterprise.name,
    description: record.row.description,
    due,
    dueNote: HAZARD_CLOCK_KINDS.plan.note,
  };
}

async function returnedBy(tx: Db, row: { version: number; reason: string | null; decidedById: number | null }) {
  const by = row.decidedById ? (await peopleNamed(tx, [row.decidedById]))[0] : null;
  return { reason: row.reason ?? '', by: by?.name ?? '主管部门', version: row.version };
}

async function peopleNamed(tx: Db, ids: number[]): Promise<PersonRecord[]> {
  return tx
    .select({ id: people.id, code: people.code, name: people.name, openId: people.openId })
    .from(people)
    .where(inArray(people.id, ids));
}

function stamp(calendar: Calendar, at: Date): string {
  const local = calendar.toLocal(at);
  return `${local.date} ${local.time}`;
}

/** The plan's events on the hazard's trail, through the repository (the one writer of hazard_events). */
async function trail(tx: Db, record: HazardRecord, person: PersonRecord, events: HazardEvent[]) {
  await insertEvents(tx, record.row.id, events, (code) => (code === person.code ? person.id : null));
}

/** Every card showing the hazard shows the plan's new state. */
async function refresh(tx: Db, deps: Pick<PlanServiceDeps, 'calendar' | 'links'>, record: HazardRecord, now: Date) {
  const view = await buildHazardView(tx, record, now, deps.calendar, deps.links);
  await refreshHazardCards(tx, { id: record.row.id, code: record.row.code }, view, now);
}

/**
 * Who decides on the plan: the supervising department's leaders and its department-scope inspectors (county-scope
 * ones when the unit has no department), active and on Feishu.
 */
export async function planReviewers(db: Db, unit: UnitRecord): Promise<PersonRecord[]> {
  const scope = unit.department
    ? and(eq(roleAssignments.scopeKind, 'department'), eq(roleAssignments.scopeId, unit.department.id))
    : eq(roleAssignments.scopeKind, 'county');
  const rows = await db
    .selectDistinct({ id: people.id, code: people.code, name: people.name, openId: people.openId })
    .from(roleAssignments)
    .innerJoin(people, eq(people.id, roleAssignments.personId))
    .where(
      and(
        inArray(roleAssignments.role, ['department_leader', 'inspector']),
        eq(people.active, true),
        sql`${people.openId} is not null`,
        scope,
      ),
    );
  return rows.sort((a, b) => a.code.localeCompare(b.code));
}
