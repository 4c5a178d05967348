/**
 * The one writer of `task_groups` (专班群): the row a major hazard's registration writes, and each step the group
 * worker records — the chat_id before anything else, then the members and the card, the pin, the last step posted,
 * the rename on closing — with retries scheduled on the database's clock, like the outbox's.
 */
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { taskGroups } from '../../db/schema/index.js';

export type TaskGroupRow = typeof taskGroups.$inferSelect;
export type TaskGroupStatus = 'pending' | 'created' | 'posted' | 'active' | 'done' | 'given_up';
export interface NotAdded {
  name: string;
  reason: string;
}

/** Feishu suggests group names of at most 60 characters. */
const NAME_MAX = 60;

/** `【重大隐患】YH-2026-000123 某某公司`, the unit's name shortened to fit; closed: `【重大隐患·已销号】…`. */
export function taskGroupName(code: string, unitName: string, closed = false): string {
  const prefix = `【重大隐患${closed ? '·已销号' : ''}】${code} `;
  const room = NAME_MAX - [...prefix].length;
  const unit = [...unitName];
  return prefix + (unit.length > room ? `${unit.slice(0, room - 1).join('')}…` : unitName);
}

/** In the registration's transaction: the hazard will get its group once the worker gets to it. */
export async function registerTaskGroup(tx: Db, input: { hazardId: number; name: string }): Promise<void> {
  // The registration's own trail (reported, supervision, suspension, assignment…) is on the card posted in the
  // group: the steps posted start after it — also those taken before the group exists.
  await tx
    .insert(taskGroups)
    .values({
      hazardId: input.hazardId,
      name: input.name,
      lastEventId: sql`(select coalesce(max(id), 0) from hazard_events where hazard_id = ${input.hazardId})`,
      // Likewise the policy's steps sent at report time (a major hazard's 挂牌督办 to the leaders).
      postedSteps: sql`(select coalesce(array_agg(step_key), '{}'::text[]) from reminder_steps where hazard_id = ${input.hazardId})`,
    })
    .onConflictDoNothing();
}

/**
 * Groups with work to do: not made yet, not complete, or with steps not posted / a closing not announced. A group
 * waiting for its retry time is left alone.
 */
export async function dueTaskGroups(db: Db, limit: number): Promise<TaskGroupRow[]> {
  return db
    .select()
    .from(taskGroups)
    .where(
      and(
        inArray(taskGroups.status, ['pending', 'created', 'posted', 'active']),
        lte(taskGroups.nextAttemptAt, sql`now()`),
        sql`(${taskGroups.status} <> 'active' or exists (
          select 1 from hazard_events e where e.hazard_id = ${taskGroups.hazardId} and e.id > ${taskGroups.lastEventId})
          or exists (select 1 from reminder_steps r where r.hazard_id = ${taskGroups.hazardId}
            and not (r.step_key = any(${taskGroups.postedSteps})))
          or exists (select 1 from hazards h where h.id = ${taskGroups.hazardId} and h.status = 'closed'))`,
      ),
    )
    .orderBy(asc(taskGroups.nextAttemptAt))
    .limit(limit);
}

export async function taskGroupOf(db: Db, hazardId: number): Promise<TaskGroupRow | null> {
  const [row] = await db.select().from(taskGroups).where(eq(taskGroups.hazardId, hazardId));
  return row ?? null;
}

/** The chat exists: recorded before anything else, so that no retry makes a second one. */
export async function recordChatCreated(db: Db, hazardId: number, chatId: string): Promise<void> {
  await db
    .update(taskGroups)
    .set({ status: 'created', chatId, attempts: 0, lastError: null, updatedAt: sql`now()` })
    .where(and(eq(taskGroups.hazardId, hazardId), eq(taskGroups.status, 'pending')));
}

/** Locks a group whose chat is made and whose card is not posted yet (false: not so, or another worker has it). */
export async function lockForCard(tx: Db, hazardId: number): Promise<boolean> {
  const rows = await tx
    .select({ hazardId: taskGroups.hazardId })
    .from(taskGroups)
    .where(and(eq(taskGroups.hazardId, hazardId), eq(taskGroups.status, 'created')))
    .for('update', { skipLocked: true });
  return rows.length > 0;
}

/** Members added (or refused) and the living card queued into the group: in the transaction that queued it. */
export async function recordCardPosted(
  db: Db,
  hazardId: number,
  input: { cardOutboxId: string; notAdded: NotAdded[] },
): Promise<boolean> {
  const done = await db
    .update(taskGroups)
    .set({
      status: 'posted',
      cardOutboxId: input.cardOutboxId,
      notAdded: input.notAdded,
      attempts: 0,
      lastError: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(taskGroups.hazardId, hazardId), eq(taskGroups.status, 'created')))
    .returning({ hazardId: taskGroups.hazardId });
  return done.length > 0;
}

/** The card is pinned (or could not be, `error` says why): the group is complete. */
export async function recordPinned(db: Db, hazardId: number, error: string | null): Promise<void> {
  await db
    .update(taskGroups)
    .set({
      status: 'active',
      pinnedAt: error ? null : sql`now()`,
      attempts: 0,
      lastError: error,
      updatedAt: sql`now()`,
    })
    .where(and(eq(taskGroups.hazardId, hazardId), eq(taskGroups.status, 'posted')));
}

/** Steps up to `lastEventId` are queued into the group (in the transaction that queued them). */
export async function recordStepsPosted(db: Db, hazardId: number, from: number, lastEventId: number): Promise<boolean> {
  const done = await db
    .update(taskGroups)
    .set({ lastEventId, updatedAt: sql`now()` })
    .where(and(eq(taskGroups.hazardId, hazardId), eq(taskGroups.lastEventId, from)))
    .returning({ hazardId: taskGroups.hazardId });
  return done.length > 0;
}

/** The policy's steps `keys` are queued into the group (in the transaction that queued them); false: already. */
export async function recordPolicyStepsPosted(db: Db, hazardId: number, keys: string[]): Promise<boolean> {
  const done = await db
    .update(taskGroups)
    .set({ postedSteps: sql`${taskGroups.postedSteps} || ${`{${keys.join(',')}}`}::text[]`, updatedAt: sql`now()` })
    .where(
      and(eq(taskGroups.hazardId, hazardId), sql`not (${taskGroups.postedSteps} && ${`{${keys.join(',')}}`}::text[])`),
    )
    .returning({ hazardId: taskGroups.hazardId });
  return done.length > 0;
}

/** Renamed 已销号: nothing more to do for this group. */
export async function recordClosed(db: Db, hazardId: number, name: string): Promise<void> {
  await db
    .update(taskGroups)
    .set({ status: 'done', name, closedRenamedAt: sql`now()`, attempts: 0, lastError: null, updatedAt: sql`now()` })
    .where(eq(taskGroups.hazardId, hazardId));
}

/** A failed attempt: tried again after `delayMs`, or given up (`giveUp`) with the reason kept. */
export async function recordFailure(
  db: Db,
  hazardId: number,
  input: { attempts: number; error: string; delayMs: number; giveUp: boolean },
): Promise<void> {
  await db
    .update(taskGroups)
    .set({
      attempts: input.attempts,
      lastError: input.error,
      ...(input.giveUp ? { status: 'given_up' } : {}),
      nextAttemptAt: sql`now() + make_interval(secs => ${input.delayMs / 1000})`,
      updatedAt: sql`now()`,
    })
    .where(eq(taskGroups.hazardId, hazardId));
}
