/**
 * The tips' answer clock in the sweep (domain/tip-clock.ts): every step of the policy's `tips` section that has come
 * due for a tip not yet answered, sent once (`tip_reminder_steps`, this module its one writer).
 *
 * Tips are few (a county's year of them is a few thousand), so each sweep reads the unanswered ones old enough for
 * a first step by `tips_unanswered_idx` — no horizon to keep: an answered tip leaves the index, which stops its
 * clock. Quiet hours hold every tip step back to the first sweep after them.
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
import { buildTipClockCard } from '../../tips/clock-card.js';
import { tipHandlers } from '../../tips/routing.js';
import { canReach, type ReachOptions } from '../reach.js';
import { ResponsibilityCache } from '../recipients.js';
import { fallbackNote, recipientLabel, type StepPerson, type SweptStep, sweptFallback } from './compose.js';

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
  const swept: SweptStep[] = [];
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
    const rows: { key: string; outboxIds: string[]; fallbacks: unknown; delivered: boolean }[] = [];
    const outbox: ReturnType<typeof sendRow>[] = [];
    const planned: SweptStep[] = [];
    for (const { step, due: dueDate } of due) {
      const overdue = 'after' in step.when;
      const who = [...new Set(step.who.map((w) => chainRole(w, key.departmentId !== null)))];
      const { recipients, fallbacks } = resolveRecipients<StepPerson>(who, {
        holdersOf: (role) => byRole[role],
        isReachable: (p) => canReach(p, { sms: false }),
        keyOf: (p) => p.code,
      });
      const label = step.label ?? step.id;
      const card = buildTipClockCard({
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
        notified: recipients.map(recipientLabel),
        ...(fallbacks.length ? { fallbackNotes: fallbacks.map((f) => fallbackNote(f, reach)) } : {}),
      });
      const urgent = step.channel === 'urgent';
      const ids: string[] = [];
      const to: SweptStep['to'] = [];
      for (const { person } of recipients) {
        if (!person.openId) continue;
        const id = randomUUID();
        ids.push(id);
        to.push({ name: person.name, openId: person.openId });
        outbox.push(
          sendRow(
            {
              to: { openId: person.openId },
              msgType: 'interactive',
              content: card,
              ...(urgent ? { urgentOpenIds: [person.openId] } : {}),
              topic: `tip-reminder:${tip.code}:${step.id}`,
            },
            id,
          ),
        );
      }
      const recorded = fallbacks.map((f) => sweptFallback(f, reach));
      rows.push({
        key: step.id,
        outboxIds: ids,
        fallbacks: recorded.length ? recorded : null,
        delivered: ids.length > 0,
      });
      planned.push({
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
        delivered: ids.length > 0,
      });
    }
    if (dryRun) {
      swept.push(...planned);
      continue;
    }
    const fresh = await db.transaction(async (tx) => {
      // The step rows first: a step another replica sent meanwhile is left out, with its cards.
      const fresh = new Set(
        rowsOf<{ step_key: string }>(
          await tx.execute(sql`
            insert into tip_reminder_steps (tip_id, step_key, sent_at, outbox_ids, fallbacks, delivered)
            select ${tip.id}, x.k, ${at.toISOString()}::timestamptz, x.o, x.f, x.d
            from jsonb_to_recordset(${JSON.stringify(
              rows.map((r) => ({ k: r.key, o: r.outboxIds, f: r.fallbacks, d: r.delivered })),
            )}::jsonb)
              as x(k text, o uuid[], f jsonb, d boolean)
            on conflict (tip_id, step_key) do nothing
            returning step_key`),
        ).map((r) => r.step_key),
      );
      const freshIds = new Set(rows.filter((r) => fresh.has(r.key)).flatMap((r) => r.outboxIds));
      const messages = outbox.filter((m) => freshIds.has(m.id));
      if (messages.length > 0) await tx.execute(insertOutboxRows(messages));
      return fresh;
    });
    swept.push(...planned.filter((p) => fresh.has(p.key)));
  }
  return swept;
}
