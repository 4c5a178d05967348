/**
 * The sweep's row (`reminder_sweep_state`): how far sweeps have got, and who is sweeping now.
 *
 * Sweeps run one at a time. Two at once would read the same ranges and race each other to every step (each would
 * send what it won, in more, smaller cards); the second waits, then finds little left. The lease is in database
 * time and runs out if its sweep dies, so a takeover waits at most that long. The row moves on only when a sweep has
 * written every batch: a sweep that dies leaves it where it was, and the next reads the same ranges again.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';

/** Where the sweep's row moves once every batch of a sweep is written. */
export interface NextState {
  changedSince: string;
  steps: Record<string, string>;
}

/** The sweep's row, and the transaction horizon now: what committed below it is visible to every later read. */
export interface SweepState {
  changedSince: string;
  steps: Record<string, string>;
  horizon: string;
}

/** How long a sweep holds the sweep's row without renewing it; a sweep waiting for it looks again this often. */
const SWEEP_LEASE_SECONDS = 15;
const SWEEP_WAIT_MS = 200;
/** A sweep renews its lease after a batch when this long has passed since it last did. */
export const RENEW_AFTER_MS = 5_000;

const LEASE = sql.raw(`interval '${SWEEP_LEASE_SECONDS} seconds'`);

const STATE_COLUMNS = sql`changed_since::text as changed_since, steps_swept_until as steps,
  pg_snapshot_xmin(pg_current_snapshot())::text as horizon`;

type StateRow = { changed_since: string | null; steps: Record<string, string> | null; horizon: string };

function toState(row: StateRow): SweepState {
  return { changedSince: row.changed_since ?? '0', steps: row.steps ?? {}, horizon: String(row.horizon) };
}

/** A dry run reads the sweep's row without taking it. */
export async function readState(db: Db): Promise<SweepState> {
  const row = rowsOf<StateRow>(
    await db.execute(sql`select ${STATE_COLUMNS} from (select 1) one left join reminder_sweep_state s on s.id = 1`),
  )[0]!;
  return toState(row);
}

/**
 * The sweep's row, taken for one sweep (waiting while another sweep holds it). Taking the row reads it, with the
 * horizon (a transaction of ours in progress only lowers it).
 */
export async function takeState(db: Db, owner: string, whileWaiting: () => Promise<void>): Promise<SweepState> {
  for (;;) {
    const row = rowsOf<StateRow>(
      await db.execute(sql`
        insert into reminder_sweep_state as s (id, changed_since, swept_at, running_owner, running_until)
        values (1, '0', now(), ${owner}, now() + ${LEASE})
        on conflict (id) do update
          set running_owner = excluded.running_owner, running_until = excluded.running_until
          where s.running_until is null or s.running_until < now()
        returning ${STATE_COLUMNS}`),
    )[0];
    if (row) return toState(row);
    await whileWaiting();
    await new Promise((resolve) => setTimeout(resolve, SWEEP_WAIT_MS));
  }
}

export async function renewState(db: Db, owner: string): Promise<void> {
  await db.execute(sql`update reminder_sweep_state set running_until = now() + ${LEASE}
    where id = 1 and running_owner = ${owner}`);
}

/** Gives the row back: moved on to where the sweep ended when it finished, as it was when it failed. */
export async function releaseState(db: Db, owner: string, done: { state: NextState; at: Date } | null) {
  const progress = done
    ? sql`changed_since = ${done.state.changedSince}::xid8,
        steps_swept_until = ${JSON.stringify(done.state.steps)}::jsonb, swept_at = ${done.at.toISOString()}::timestamptz,`
    : sql``;
  await db.execute(sql`update reminder_sweep_state set ${progress} running_owner = null, running_until = null
    where id = 1 and running_owner = ${owner}`);
}

/**
 * Sets the horizon back to 0: the next sweep reads every open hazard as changed and evaluates it under the settings
 * in force (a new policy, time zone or calendar), sending only the steps not sent before.
 */
export async function rearmSweep(db: Db, now: Date): Promise<void> {
  await db.execute(sql`
    insert into reminder_sweep_state (id, changed_since, swept_at) values (1, '0', ${now.toISOString()})
    on conflict (id) do update set changed_since = '0'`);
}
