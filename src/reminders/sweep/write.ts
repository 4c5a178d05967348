/**
 * Writing a batch of planned steps: a `reminder_steps` row per step (its unique key is the once-only guarantee),
 * the cards in the outbox, and the steps' effects on hazards (through the hazards' repository, which owns their
 * columns and trail).
 *
 * Most batches are one statement with no transaction around it (writeAllNew): the cards were composed assuming every
 * step is new, as it is unless another path sent one since the hazards were read. If one was, its key fails the
 * statement as a whole, and the batch is written again by writeBatch, in a transaction that sends only the new steps.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import { compareSupervision } from '../../domain/index.js';
import { insertOutboxRows } from '../../feishu/outbox.js';
import { lockHazardsForUpdate, raiseSupervisionOfMany, type SupervisionRaise } from '../../hazards/repository.js';
import {
  type ComposedMessage,
  composeMessages,
  effectsToApply,
  outboxRows,
  type PlannedStep,
  stepRows,
} from './compose.js';

/** How long a batch waits for a hazard row a user holds before the sweep gives up and retries at its next slot. */
const EFFECT_LOCK_TIMEOUT = '10s';

/** The error of a step row whose (hazard, key) is taken: the step was sent already (unique_violation). */
function isStepAlreadySent(error: unknown): boolean {
  for (let e = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    // node-postgres and PGlite both name the constraint in `constraint`.
    const { code, constraint } = e as Record<string, unknown>;
    if (code === '23505' && constraint === 'reminder_steps_pkey') return true;
  }
  return false;
}

/**
 * The rows of a `stepRows` parameter as (hazard_id, step_key, outbox_ids, fallbacks, delivered), in (hazard, key) order: concurrent
 * writers then take the step rows in the same order and never wait on each other in a circle.
 */
const stepRowsFrom = (json: string) => sql`(
  select hid as hazard_id, x.k as step_key, x.o as outbox_ids, x.f as fallbacks, coalesce(x.d, true) as delivered
  from jsonb_to_recordset(${json}::jsonb) as x(h int[], k text, o uuid[], f jsonb, d boolean), unnest(x.h) as hid
  order by hid, x.k)`;

/** The batch in one statement, if every step in it is new; false (having written nothing) if one is not. */
export async function writeAllNew(
  db: Db,
  planned: PlannedStep[],
  composed: ComposedMessage[],
  atIso: string,
): Promise<boolean> {
  try {
    await db.execute(sql`
      with steps as (
        insert into reminder_steps (hazard_id, step_key, sent_at, outbox_ids, fallbacks, delivered)
        select x.hazard_id, x.step_key, ${atIso}::timestamptz, x.outbox_ids, x.fallbacks, x.delivered
        from ${stepRowsFrom(stepRows(planned, composed))} x),
      messages as (${insertOutboxRows(outboxRows(composed))})
      select 1`);
    return true;
  } catch (error) {
    if (isStepAlreadySent(error)) return false;
    throw error;
  }
}

/** What a written batch sent: the steps that were new, their messages, and how many hazards their effects changed. */
export interface WrittenBatch {
  planned: PlannedStep[];
  messages: ComposedMessage['message'][];
  escalations: number;
}

/** The batch inside transaction `tx`: only its new steps are sent, and their effects applied. */
export async function writeBatch(tx: Db, planned: PlannedStep[], atIso: string): Promise<WrittenBatch> {
  // Effects change hazard rows: take those rows first, in id order, so that the sweep's loops never wait on each
  // other in a circle; a user's transaction holding one makes the batch wait, not fail, up to a limit.
  const toLock = [...new Set(planned.filter((p) => effectsToApply(p).length > 0).map((p) => p.hazard.id))];
  const current = toLock.length > 0 ? await lockHazardsForUpdate(tx, toLock, EFFECT_LOCK_TIMEOUT) : new Map();
  const written = rowsOf<{ hazard_id: number; step_key: string }>(
    await tx.execute(sql`
      insert into reminder_steps (hazard_id, step_key, sent_at, fallbacks, delivered)
      select x.hazard_id, x.step_key, ${atIso}::timestamptz, x.fallbacks, x.delivered
      from ${stepRowsFrom(stepRows(planned, []))} x
      on conflict (hazard_id, step_key) do nothing
      returning hazard_id, step_key`),
  );
  const isNew = new Set(written.map((c) => `${Number(c.hazard_id)}\u0000${c.step_key}`));
  const fresh = planned.filter((p) => isNew.has(`${p.hazard.id}\u0000${p.due.key}`));
  const composed = composeMessages(fresh, atIso);
  if (composed.length > 0) {
    await tx.execute(sql`
      with carriers as (
        update reminder_steps rs set outbox_ids = x.outbox_ids
        from ${stepRowsFrom(stepRows(fresh, composed))} x
        where rs.hazard_id = x.hazard_id and rs.step_key = x.step_key)
      ${insertOutboxRows(outboxRows(composed))}`);
  }
  const raises = supervisionRaises(fresh, current);
  const escalations = raises.length > 0 ? await raiseSupervisionOfMany(tx, raises, new Date(atIso)) : 0;
  return { planned: fresh, messages: composed.map((c) => c.message), escalations };
}

/**
 * One raise per hazard whose new steps ask for a higher supervision than it has now (`current`, read under lock):
 * the highest level asked, for the step that asked it.
 */
function supervisionRaises(fresh: PlannedStep[], current: Map<number, string>): SupervisionRaise[] {
  const raises = new Map<number, SupervisionRaise>();
  for (const p of fresh) {
    const from = (current.get(p.hazard.id) ?? p.hazard.supervision) as SupervisionRaise['from'];
    for (const effect of effectsToApply(p)) {
      const best = raises.get(p.hazard.id);
      if (compareSupervision(from, effect.level) >= 0) continue;
      if (best && compareSupervision(best.to, effect.level) >= 0) continue;
      raises.set(p.hazard.id, {
        hazardId: p.hazard.id,
        from,
        to: effect.level,
        reason: `督办规则：${p.swept.label}`,
        step: p.due.key,
      });
    }
  }
  return [...raises.values()];
}
