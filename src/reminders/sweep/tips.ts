/**
 * The tips' answer clock in the sweep (domain/tip-clock.ts): every step of the policy's `tips` section that has come
 * due for a tip not yet answered, sent once (`tip_reminder_steps`, this module its one writer).
 *
 * Tips are few (a county's year of them is a few thousand), so each sweep reads the unanswered ones old enough for
 * a first step by `tips_unanswered_idx` — no horizon to keep: an answered tip leaves the index, which stops its
 * clock. Quiet hours hold every tip step back to the first sweep after them. Each person gets one card for all of
 * their tip steps in a sweep (a list when there are several), as the hazards' reminders do: a backlog is not a flood.
 * Tip steps reach people in Feishu only (see the note at resolveRecipients below).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import {
  type Calendar,
  dueTipSteps,
  type EscalationPolicy,
  type Recipient,
  resolveRecipients,
  type TipStep,
  tipFirstStepAfterDays,
  tipWaitedDays,
} from '../../domain/index.js';
import { TIP_STATUS_LABELS, type TipStatus } from '../../domain/tip.js';
import { insertOutboxRows, sendRow } from '../../feishu/outbox.js';
import { buildTipClockCard, buildTipClockListCard, type TipClockCardInput } from '../../tips/clock-card.js';
import { tipHandlers } from '../../tips/routing.js';
import { canReach, type ReachOptions } from '../reach.js';
import { ResponsibilityCache } from '../recipients.js';
import {
  fallbackNote,
  recipientLabel,
  type StepPerson,
  type SweptFallback,
  type SweptStep,
  sweptFallback,
} from './compose.js';

interface UnansweredTip {
  id: number;
  code: string;
  status: string;
  place: string;
  region_id: number | null;
  region_name: string | null;
  enterprise_id: number | null;
  unit_name: string | null;
  unit_text: string | null;
  department_id: number | null;
  received_at: number;
  sent: string[] | null;
}

const DAY_MS = 86_400_000;

async function unansweredTips(db: Db, olderThan: Date): Promise<UnansweredTip[]> {
  // tips_unanswered_idx's own condition and order.
  return rowsOf<UnansweredTip>(
    await db.execute(sql`
      select t.id, t.code, t.status, t.place, t.region_id, r.name as region_name, t.enterprise_id,
        e.name as unit_name, t.unit_text, e.department_id,
        (extract(epoch from t.received_at) * 1000)::float8 as received_at,
        array(select s.step_key from tip_reminder_steps s where s.tip_id = t.id) as sent
      from tips t
      left join regions r on r.id = t.region_id
      left join enterprises e on e.id = t.enterprise_id
      where t.first_answered_at is null and t.received_at <= ${olderThan.toISOString()}::timestamptz
      order by t.received_at, t.id`),
  );
}

/** A tip step's role as the chain of responsibility knows it (its fallbacks are that role's). */
function chainRole(who: TipStep['who'][number], hasDepartment: boolean): Recipient {
  if (who === 'handlers') return 'inspectors';
  if (who === 'leader') return hasDepartment ? 'department_leader' : 'township_leader_in_charge';
  return who;
}

function askOf(step: TipStep, overdue: boolean): string {
  if (overdue) return '该举报已超过答复期限仍未答复举报人，请督促处理人员立即核查并答复';
  if (step.who.includes('handlers'))
    return '该举报尚未答复举报人，请尽快受理核查，并在答复期限前作出处理（不予受理、属实或不属实）';
  return '该举报今日到答复期限仍未答复举报人，请督促处理人员今日内核查并答复';
}

/** A due tip step, with whom it tells and what its card says (rendered once the sweep knows who gets what). */
export interface PlannedTipStep {
  tipId: number;
  card: Omit<TipClockCardInput, 'notified'>;
  notified: string[];
  openIds: string[];
  urgent: boolean;
  fallbacks: SweptFallback[] | null;
  swept: SweptStep;
}

/** A message of the tip clock: one person's steps of this sweep, on one card. */
interface TipClockMessage {
  id: string;
  openId: string;
  steps: PlannedTipStep[];
  content: object;
  urgent: boolean;
  topic: string;
}

/**
 * One card per person for all of their tip steps in this sweep — the step's own card when there is one, a list
 * card (one line per tip, its most pressing step) when there are several — buzzed when any of them is urgent.
 */
export function composeTipClockMessages(
  steps: PlannedTipStep[],
  answerDays: number,
  newId: () => string = randomUUID,
): TipClockMessage[] {
  const byPerson = new Map<string, PlannedTipStep[]>();
  for (const step of steps) {
    for (const openId of step.openIds) {
      const list = byPerson.get(openId);
      if (list) list.push(step);
      else byPerson.set(openId, [step]);
    }
  }
  const messages: TipClockMessage[] = [];
  for (const [openId, list] of byPerson) {
    const urgent = list.some((p) => p.urgent);
    // The most pressing step of each tip (an overdue one, else the later in the policy), overdue tips first.
    const pressure = (p: PlannedTipStep) => `${p.card.overdue ? 1 : 0}:${p.card.due}`;
    const byTip = new Map<string, PlannedTipStep>();
    for (const step of list) {
      const kept = byTip.get(step.card.code);
      if (!kept || pressure(step) >= pressure(kept)) byTip.set(step.card.code, step);
    }
    const shown = [...byTip.values()].sort(
      (a, b) =>
        Number(b.card.overdue) - Number(a.card.overdue) ||
        (a.card.due < b.card.due ? -1 : a.card.due > b.card.due ? 1 : 0),
    );
    const only = shown.length === 1 ? shown[0]! : null;
    messages.push({
      id: newId(),
      openId,
      steps: list,
      content: only
        ? buildTipClockCard({ ...only.card, notified: only.notified })
        : buildTipClockListCard({ items: shown.map((p) => p.card), answerDays }),
      urgent,
      topic: only ? `tip-reminder:${only.card.code}:${only.swept.step}` : 'tip-reminders',
    });
  }
  return messages;
}

/**
 * The due tip steps at `at`, sent (unless `dryRun`), as the sweep's answer lists them (`hazard` is the tip's code).
 */
export async function sweepTipClock(
  db: Db,
  deps: { policy: EscalationPolicy; calendar: Calendar; reach?: ReachOptions },
  at: Date,
  dryRun: boolean,
): Promise<SweptStep[]> {
  const { policy, calendar } = deps;
  const clock = policy.tips;
  if (clock.steps.length === 0 || calendar.isQuietHour(at)) return [];
  const reach = deps.reach ?? { sms: false };
  const olderThan = new Date(at.getTime() - tipFirstStepAfterDays(clock) * DAY_MS);
  const planned: PlannedTipStep[] = [];
  const units = new ResponsibilityCache();
  for (const tip of await unansweredTips(db, olderThan)) {
    const receivedAt = new Date(Number(tip.received_at));
    const due = dueTipSteps({ receivedAt, sent: new Set(tip.sent ?? []) }, clock, at, calendar);
    if (due.length === 0) continue;
    const key = {
      enterpriseId: tip.enterprise_id === null ? 0 : Number(tip.enterprise_id),
      regionId: tip.region_id === null ? 0 : Number(tip.region_id),
      departmentId: tip.department_id === null ? null : Number(tip.department_id),
    };
    await units.load(db, [key]);
    const unit = units.get(key);
    const handlers = await tipHandlers(db, {
      regionId: tip.region_id === null ? null : Number(tip.region_id),
      enterpriseId: tip.enterprise_id === null ? null : Number(tip.enterprise_id),
    });
    const byRole: Record<Recipient, StepPerson[]> = {
      responsible: [],
      reporter: [],
      enterprise_principal: [],
      enterprise_safety_officer: [],
      inspectors: handlers,
      township_leader_in_charge: unit?.townshipLeaderInCharge ?? [],
      township_main_leader: unit?.townshipMainLeader ?? [],
      department_leader: unit?.departmentLeader ?? [],
      county_leader: unit?.countyLeaders ?? [],
      county_safety_office: unit?.countySafetyOffice ?? [],
    };
    for (const { step, due: dueDate } of due) {
      const overdue = 'after' in step.when;
      const who = [...new Set(step.who.map((w) => chainRole(w, key.departmentId !== null)))];
      // In Feishu only: the SMS template speaks of a hazard's 整改期限, not of a tip's answer; a person outside
      // Feishu is passed over to the next in the chain of responsibility, and the card says so.
      const { recipients, fallbacks } = resolveRecipients<StepPerson>(who, {
        holdersOf: (role) => byRole[role],
        isReachable: (p) => canReach(p, { sms: false }),
        keyOf: (p) => p.code,
      });
      const label = step.label ?? step.id;
      const urgent = step.channel === 'urgent';
      const to = recipients.flatMap(({ person }) =>
        person.openId ? [{ name: person.name, openId: person.openId }] : [],
      );
      const recorded = fallbacks.map((f) => sweptFallback(f, reach));
      planned.push({
        tipId: Number(tip.id),
        card: {
          code: tip.code,
          place: tip.place,
          regionName: tip.region_name,
          unitName: tip.unit_name ?? tip.unit_text,
          statusLabel: TIP_STATUS_LABELS[tip.status as TipStatus] ?? tip.status,
          receivedOn: calendar.localDate(receivedAt),
          waitedDays: tipWaitedDays(receivedAt, at, calendar),
          due: dueDate,
          answerDays: clock.answerDays,
          stepLabel: label,
          overdue,
          ask: askOf(step, overdue),
          ...(fallbacks.length ? { fallbackNotes: fallbacks.map((f) => fallbackNote(f, reach)) } : {}),
        },
        notified: recipients.map(recipientLabel),
        openIds: to.map((t) => t.openId),
        urgent,
        fallbacks: recorded.length ? recorded : null,
        swept: {
          hazard: tip.code,
          step: step.id,
          key: step.id,
          label,
          channel: step.channel,
          to,
          chatId: null,
          urgent,
          effects: [],
          fallbacks: recorded,
          delivered: to.length > 0,
        },
      });
    }
  }
  if (dryRun || planned.length === 0) return planned.map((p) => p.swept);
  return db.transaction(async (tx) => {
    // The step rows first: a step another replica sent meanwhile is left out, and so is its line on a card.
    const fresh = new Set(
      rowsOf<{ tip_id: number; step_key: string }>(
        await tx.execute(sql`
          insert into tip_reminder_steps (tip_id, step_key, sent_at, fallbacks, delivered)
          select x.t, x.k, ${at.toISOString()}::timestamptz, x.f, x.d
          from jsonb_to_recordset(${JSON.stringify(
            planned.map((p) => ({ t: p.tipId, k: p.swept.key, f: p.fallbacks, d: p.swept.delivered })),
          )}::jsonb) as x(t int, k text, f jsonb, d boolean)
          on conflict (tip_id, step_key) do nothing
          returning tip_id, step_key`),
      ).map((r) => `${r.tip_id}:${r.step_key}`),
    );
    const sent = planned.filter((p) => fresh.has(`${p.tipId}:${p.swept.key}`));
    const messages = composeTipClockMessages(sent, clock.answerDays);
    if (messages.length > 0) {
      await tx.execute(
        insertOutboxRows(
          messages.map((m) =>
            sendRow(
              {
                to: { openId: m.openId },
                msgType: 'interactive',
                content: m.content,
                ...(m.urgent ? { urgentOpenIds: [m.openId] } : {}),
                topic: m.topic,
              },
              m.id,
            ),
          ),
        ),
      );
      // Each step row names the messages that carried it.
      const carriers = new Map<string, { t: number; k: string; o: string[] }>();
      for (const m of messages) {
        for (const step of m.steps) {
          const id = `${step.tipId}:${step.swept.key}`;
          const row = carriers.get(id) ?? { t: step.tipId, k: step.swept.key, o: [] };
          row.o.push(m.id);
          carriers.set(id, row);
        }
      }
      await tx.execute(sql`
        update tip_reminder_steps s set outbox_ids = x.o
        from jsonb_to_recordset(${JSON.stringify([...carriers.values()])}::jsonb) as x(t int, k text, o uuid[])
        where s.tip_id = x.t and s.step_key = x.k`);
    }
    return sent.map((p) => p.swept);
  });
}
