/**
 * The hazards' repository: the one writer of `hazards`, `hazard_events` and `hazard_counters` — their columns,
 * versions and trail — and rows ↔ the domain's Hazard. Every function takes `db` or a transaction first.
 */
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { hazardCounters, hazardEvents, hazards } from '../db/schema/index.js';
import { loadUnit, type PersonRecord, peopleByIds, type UnitRecord } from '../directory/lookup.js';
import {
  type EventActor,
  formatHazardCode,
  formatListingAuthority,
  type Hazard,
  type HazardEvent,
  type HazardGrade,
  type HazardSource,
  type HazardStatus,
  type Listing,
  parseListingAuthority,
  type SupervisionLevel,
} from '../domain/index.js';

export type HazardRow = typeof hazards.$inferSelect;

/** A hazard as stored, as the domain sees it, and the people and unit around it. */
export interface HazardRecord {
  row: HazardRow;
  hazard: Hazard;
  unit: UnitRecord;
  /** Everyone the row names, by id. */
  people: Map<number, PersonRecord>;
}

/** Loads a hazard by code (`FOR UPDATE` inside a transaction when asked); null when there is none. */
export async function loadHazard(
  db: Db,
  code: string,
  options: { forUpdate?: boolean } = {},
): Promise<HazardRecord | null> {
  const query = db.select().from(hazards).where(eq(hazards.code, code)).limit(1);
  const [row] = options.forUpdate ? await query.for('update') : await query;
  if (!row) return null;
  const unit = await loadUnit(db, { id: row.enterpriseId });
  if (!unit) throw new Error(`hazard ${code} points at a missing enterprise ${row.enterpriseId}`);
  const rectifierIds = await rectifierIdsOf(db, row);
  const named = [
    row.reporterId,
    row.responsibleId,
    row.rectifiedById,
    row.closedById,
    row.extensionRequestedById,
    row.suspensionProposedById,
    row.resumptionRequestedById,
    row.listedById,
    ...rectifierIds,
  ].filter((id): id is number => id !== null);
  const map = await peopleByIds(db, named);
  const codeOf = (id: number | null) => (id === null ? null : (map.get(id)?.code ?? null));
  const hazard: Hazard = {
    ...unit.unit,
    reporter: codeOf(row.reporterId)!,
    responsible: codeOf(row.responsibleId),
    rectifiedBy: codeOf(row.rectifiedById),
    rectifiers: rectifierIds.map(codeOf).filter((c): c is string => c !== null),
    grade: row.grade as HazardGrade,
    status: row.status as HazardStatus,
    reportedAt: row.reportedAt,
    assignedAt: row.assignedAt,
    acknowledgedAt: row.acknowledgedAt,
    deadline: row.deadline,
    deadlineSetAt: row.deadlineSetAt,
    supervision: row.supervision as SupervisionLevel,
    suspended: row.suspended,
    suspensionProposal: pendingRequest(codeOf(row.suspensionProposedById), row.suspensionProposedAt),
    resumptionRequest: pendingRequest(codeOf(row.resumptionRequestedById), row.resumptionRequestedAt),
    listing: listingOf(row, codeOf(row.listedById)),
    extensionRequest:
      row.extensionRequestedById && row.extensionDeadline && row.extensionRequestedAt
        ? {
            requestedBy: codeOf(row.extensionRequestedById)!,
            requestedAt: row.extensionRequestedAt,
            newDeadline: row.extensionDeadline,
            reason: row.extensionReason ?? '',
          }
        : null,
    rectifiedAt: row.rectifiedAt,
    closedAt: row.closedAt,
    closedBy: codeOf(row.closedById),
  };
  return { row, hazard, unit, people: map };
}

const pendingRequest = (by: string | null, at: Date | null) => (by !== null && at !== null ? { by, at } : null);

function listingOf(row: HazardRow, by: string | null): Listing | null {
  const authority = row.listingAuthority ? parseListingAuthority(row.listingAuthority) : null;
  return authority && by !== null && row.listedAt ? { authority, by, at: row.listedAt } : null;
}

/**
 * Everyone who submitted a rectification of this hazard, in any round, from its trail (the row keeps only the
 * latest). A hazard never submitted has nobody, without a query.
 */
async function rectifierIdsOf(db: Db, row: HazardRow): Promise<number[]> {
  if (row.rectifiedById === null) return [];
  const rows = await db
    .selectDistinct({ actorId: hazardEvents.actorId })
    .from(hazardEvents)
    .where(
      and(
        eq(hazardEvents.hazardId, row.id),
        eq(hazardEvents.type, 'rectification_submitted'),
        isNotNull(hazardEvents.actorId),
      ),
    );
  const ids = new Set(rows.map((r) => r.actorId!));
  ids.add(row.rectifiedById);
  return [...ids];
}

/**
 * Codes of the hazards still being rectified (or awaiting verification) that this person's own trail entries touched
 * since `since`, most recently touched first: where a photo they send now belongs.
 */
export async function rectifyingHazardsTouchedBy(db: Db, personId: number, since: Date): Promise<string[]> {
  const rows = rowsOf<{ code: string }>(
    await db.execute(sql`
      select h.code from (
        select hazard_id, max(id) as last from hazard_events
        where actor_id = ${personId} and at >= ${since.toISOString()}::timestamptz
        group by hazard_id order by max(id) desc limit 20) recent
      join hazards h on h.id = recent.hazard_id
      where h.status in ('rectifying', 'pending_verification')
      order by recent.last desc`),
  );
  return rows.map((r) => r.code);
}

/** The columns a domain Hazard changes, resolved back to person ids through `idOf`. */
export function hazardColumns(hazard: Hazard, idOf: (code: string | null) => number | null) {
  return {
    status: hazard.status,
    responsibleId: idOf(hazard.responsible),
    rectifiedById: idOf(hazard.rectifiedBy),
    supervision: hazard.supervision,
    suspended: hazard.suspended,
    suspensionProposedById: idOf(hazard.suspensionProposal?.by ?? null),
    suspensionProposedAt: hazard.suspensionProposal?.at ?? null,
    resumptionRequestedById: idOf(hazard.resumptionRequest?.by ?? null),
    resumptionRequestedAt: hazard.resumptionRequest?.at ?? null,
    listedById: idOf(hazard.listing?.by ?? null),
    listedAt: hazard.listing?.at ?? null,
    listingAuthority: hazard.listing ? formatListingAuthority(hazard.listing.authority) : null,
    deadline: hazard.deadline,
    deadlineSetAt: hazard.deadlineSetAt,
    assignedAt: hazard.assignedAt,
    acknowledgedAt: hazard.acknowledgedAt,
    rectifiedAt: hazard.rectifiedAt,
    closedAt: hazard.closedAt,
    closedById: idOf(hazard.closedBy),
    extensionRequestedById: idOf(hazard.extensionRequest?.requestedBy ?? null),
    extensionRequestedAt: hazard.extensionRequest?.requestedAt ?? null,
    extensionDeadline: hazard.extensionRequest?.newDeadline ?? null,
    extensionReason: hazard.extensionRequest?.reason ?? null,
  };
}

/** A trail entry: a domain event, or one the trail keeps beyond the state machine (evidence added). */
export type TrailEvent =
  | HazardEvent
  | { type: 'photo_added'; at: Date; by: EventActor; stage: 'report' | 'rectification'; count: number };

/** A trail entry as its `hazard_events` row: the one serialiser of the trail. */
function trailRow(hazardId: number, event: TrailEvent, idOf: (code: string | null) => number | null) {
  const { type, at, by, ...details } = event;
  return { hazardId, type, at, actorId: by === 'system' ? null : idOf(by), details };
}

/** Appends events to the audit trail. */
export async function insertEvents(
  db: Db,
  hazardId: number,
  events: TrailEvent[],
  idOf: (code: string | null) => number | null,
): Promise<void> {
  if (events.length === 0) return;
  await db.insert(hazardEvents).values(events.map((event) => trailRow(hazardId, event, idOf)));
}

/** Takes the next number of `year`: no gaps (a rolled-back report gives it back), no duplicates (row lock). */
export async function nextHazardNumber(
  db: Db,
  year: number,
): Promise<{ year: number; sequence: number; code: string }> {
  // One statement (the counter stays locked to the end of the transaction: the fewer round trips the better): the
  // first of a year inserts 1, later ones take the row lock and add one.
  const [row] = await db
    .insert(hazardCounters)
    .values({ year, lastSequence: 1 })
    .onConflictDoUpdate({ target: hazardCounters.year, set: { lastSequence: sql`${hazardCounters.lastSequence} + 1` } })
    .returning({ sequence: hazardCounters.lastSequence });
  const sequence = row!.sequence;
  return { year, sequence, code: formatHazardCode(year, sequence) };
}

/** What a report records beyond the domain state: where, what, and the four 定 as typed. */
export interface ReportedDetails {
  sector: string;
  description: string;
  location: string;
  measures: string;
  standard: string;
  basis: string | null;
  /** The clause's code on the pick list (hazards/basis-clauses.ts), `other` for typed text. */
  basisCode?: string | null;
  governancePlan: HazardRow['governancePlan'];
  /** How it was found (default `report`), the inspection that found it, and whether it was 立查立改. */
  source?: HazardSource;
  inspectionId?: number | null;
  fixedOnSite?: boolean;
}

/** Registers a reported hazard (登记建档) with its trail; returns its id. */
export async function insertHazard(
  tx: Db,
  input: {
    number: { code: string; year: number; sequence: number };
    unit: UnitRecord;
    reporterId: number;
    details: ReportedDetails;
    hazard: Hazard;
    events: HazardEvent[];
    idOf: (code: string | null) => number | null;
    now: Date;
  },
): Promise<number> {
  const { number, unit, hazard, now } = input;
  const [row] = await tx
    .insert(hazards)
    .values({
      code: number.code,
      year: number.year,
      sequence: number.sequence,
      enterpriseId: unit.enterprise.id,
      regionId: unit.region.id,
      departmentId: unit.department?.id ?? null,
      ...input.details,
      grade: hazard.grade,
      reporterId: input.reporterId,
      reportedAt: hazard.reportedAt,
      ...hazardColumns(hazard, input.idOf),
      createdAt: now,
      updatedAt: now,
    })
    .returning({ id: hazards.id });
  await insertEvents(tx, row!.id, input.events, input.idOf);
  return row!.id;
}

/**
 * Stores the hazard's new domain state (a new version) and the events that led to it; `rectification` is what the
 * rectifier wrote, when the change is a submission. Returns the row as stored.
 */
export async function saveHazard(
  tx: Db,
  input: {
    id: number;
    hazard: Hazard;
    events: HazardEvent[];
    idOf: (code: string | null) => number | null;
    now: Date;
    rectification?: string;
  },
): Promise<HazardRow> {
  const [row] = await tx
    .update(hazards)
    .set({
      ...hazardColumns(input.hazard, input.idOf),
      ...(input.rectification !== undefined ? { rectification: input.rectification } : {}),
      version: sql`${hazards.version} + 1`,
      updatedAt: input.now,
    })
    .where(eq(hazards.id, input.id))
    .returning();
  await insertEvents(tx, input.id, input.events, input.idOf);
  return row!;
}

/**
 * Locks these hazards' rows (in id order, so that concurrent lockers never wait on each other in a circle), waiting
 * at most `lockTimeout` for a row someone holds; answers each one's supervision as it is now.
 */
export async function lockHazardsForUpdate(
  tx: Db,
  ids: number[],
  lockTimeout: string,
): Promise<Map<number, SupervisionLevel>> {
  if (!/^\d+(ms|s)$/.test(lockTimeout)) throw new Error(`not a lock timeout: ${lockTimeout}`);
  await tx.execute(sql`set local lock_timeout = ${sql.raw(`'${lockTimeout}'`)}`);
  const rows = rowsOf<{ id: number; supervision: string }>(
    await tx.execute(sql`select id, supervision from hazards where id = any(${`{${ids.join(',')}}`}::int[])
      order by id for update`),
  );
  return new Map(rows.map((r) => [Number(r.id), r.supervision as SupervisionLevel]));
}

/** A raise of supervision by the escalation policy (督办): the hazard, the levels, and the step that asked for it. */
export interface SupervisionRaise {
  hazardId: number;
  from: SupervisionLevel;
  to: 'township' | 'county';
  reason: string;
  step: string;
}

/**
 * Raises the supervision of many hazards at once, as the service, each with its trail event (set-based: a sweep
 * after downtime raises thousands). The caller holds the rows (lockHazardsForUpdate). Returns how many changed.
 */
export async function raiseSupervisionOfMany(tx: Db, raises: SupervisionRaise[], at: Date): Promise<number> {
  const rows = raises.map((r) => {
    const event: HazardEvent = {
      type: 'supervision_raised',
      at,
      by: 'system',
      from: r.from,
      to: r.to,
      reason: r.reason,
      step: r.step,
    };
    const row = trailRow(r.hazardId, event, () => null);
    return { hazard_id: r.hazardId, level: r.to, type: row.type, details: row.details };
  });
  const changed = rowsOf<{ id: number }>(
    await tx.execute(sql`
      with x as (
        select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          as x(hazard_id int, level text, type text, details jsonb)),
      upd as (
        update hazards h set supervision = x.level, version = h.version + 1, updated_at = ${at.toISOString()}::timestamptz
        from x where h.id = x.hazard_id returning h.id)
      insert into hazard_events (hazard_id, type, actor_id, at, details)
      select x.hazard_id, x.type, null, ${at.toISOString()}::timestamptz, x.details from x join upd on upd.id = x.hazard_id
      returning hazard_id as id`),
  );
  return changed.length;
}

/** Moves every hazard of unit `fromId` to unit `toId` (a merged unit); region and department stay as reported. */
export async function moveHazardsToEnterprise(tx: Db, fromId: number, toId: number): Promise<number> {
  const moved = await tx
    .update(hazards)
    .set({ enterpriseId: toId, version: sql`${hazards.version} + 1` })
    .where(eq(hazards.enterpriseId, fromId))
    .returning({ id: hazards.id });
  return moved.length;
}
