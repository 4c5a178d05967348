/**
 * The inspections' repository: the one writer of `inspections`, `inspection_items`, `inspection_events` and
 * `inspection_counters`. An inspection is started `open` with its checklist's items copied (result `pending`), so the
 * record keeps each item's text as it was that day; answers are stored page by page; the submission numbers it
 * (`JC-<year>-<6 digits>`) in the same transaction. Every function takes `db` or a transaction first.
 */
import { and, asc, desc, eq, gte, ne, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { inspectionEvents, inspectionItems, inspections } from '../db/schema/index.js';
import {
  formatInspectionCode,
  type InspectionKind,
  type ItemResult,
  type LocalDate,
  type ResultCounts,
} from '../domain/index.js';

export type InspectionRow = typeof inspections.$inferSelect;
export type InspectionItemRow = typeof inspectionItems.$inferSelect;

/** An item's result before it is answered. */
export const PENDING = 'pending';

/** The checklist as it is used: its identity and version, and its items in order. */
export interface ChecklistSnapshot {
  id: number;
  code: string;
  name: string;
  sector: string;
  version: number;
  items: readonly { code: string; position: number; text: string; basis: string; major: boolean }[];
}

/** Starts an inspection (`open`) with the checklist's items copied, and its trail's first entry; returns its id. */
export async function insertOpenInspection(
  tx: Db,
  input: {
    enterprise: { id: number; regionId: number; departmentId: number | null };
    kind: InspectionKind;
    checklist: ChecklistSnapshot;
    inspectorId: number;
    companionIds: number[];
    date: LocalDate;
    cardMessageId: string | null;
    now: Date;
  },
): Promise<number> {
  const { checklist, now } = input;
  const [row] = await tx
    .insert(inspections)
    .values({
      status: 'open',
      enterpriseId: input.enterprise.id,
      regionId: input.enterprise.regionId,
      departmentId: input.enterprise.departmentId,
      sector: checklist.sector,
      kind: input.kind,
      checklistId: checklist.id,
      checklistCode: checklist.code,
      checklistName: checklist.name,
      checklistVersion: checklist.version,
      inspectorId: input.inspectorId,
      companionIds: input.companionIds,
      date: input.date,
      startedAt: now,
      cardMessageId: input.cardMessageId,
      createdAt: now,
      updatedAt: now,
    })
    .returning({ id: inspections.id });
  const id = row!.id;
  if (checklist.items.length > 0) {
    await tx.insert(inspectionItems).values(
      checklist.items.map((item) => ({
        inspectionId: id,
        code: item.code,
        position: item.position,
        text: item.text,
        basis: item.basis,
        major: item.major,
        result: PENDING,
      })),
    );
  }
  await insertEvent(tx, id, 'started', input.inspectorId, now, {
    kind: input.kind,
    checklist: checklist.code,
    checklistVersion: checklist.version,
    companions: input.companionIds,
    date: input.date,
  });
  return id;
}

/** Appends one entry to an inspection's trail. */
async function insertEvent(
  tx: Db,
  inspectionId: number,
  type: string,
  actorId: number | null,
  at: Date,
  details: Record<string, unknown> = {},
): Promise<void> {
  await tx.insert(inspectionEvents).values({ inspectionId, type, actorId, at, details });
}

/**
 * The same inspector's open inspection of the same unit, checklist and day, started since `since`: a second 开始检查
 * (a double click, the form sent again) continues it instead of starting another.
 */
export async function findReusableInspection(
  db: Db,
  input: { inspectorId: number; enterpriseId: number; checklistId: number; date: LocalDate; since: Date },
): Promise<InspectionRow | null> {
  const [row] = await db
    .select()
    .from(inspections)
    .where(
      and(
        eq(inspections.inspectorId, input.inspectorId),
        eq(inspections.status, 'open'),
        eq(inspections.enterpriseId, input.enterpriseId),
        eq(inspections.checklistId, input.checklistId),
        eq(inspections.date, input.date),
        gte(inspections.startedAt, input.since),
      ),
    )
    .orderBy(desc(inspections.startedAt))
    .limit(1);
  return row ?? null;
}

/**
 * Marks the inspector's other open inspections `abandoned` when nothing has been answered on them yet (a form filled
 * in and left for another unit). One with answers stays open: answers are work, and its card can still submit them.
 * Returns the ids abandoned.
 */
export async function abandonUnansweredInspections(
  tx: Db,
  input: { inspectorId: number; exceptId: number; now: Date },
): Promise<number[]> {
  const abandoned = await tx
    .update(inspections)
    .set({ status: 'abandoned', updatedAt: input.now, version: sql`${inspections.version} + 1` })
    .where(
      and(
        eq(inspections.inspectorId, input.inspectorId),
        eq(inspections.status, 'open'),
        ne(inspections.id, input.exceptId),
        sql`not exists (select 1 from inspection_items i where i.inspection_id = ${inspections.id} and i.result <> ${PENDING})`,
      ),
    )
    .returning({ id: inspections.id });
  for (const { id } of abandoned) {
    await insertEvent(tx, id, 'abandoned', input.inspectorId, input.now, { supersededBy: input.exceptId });
  }
  return abandoned.map((r) => r.id);
}

/** The inspection (locked for this transaction when asked); null when there is none. */
export async function loadInspection(
  db: Db,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<InspectionRow | null> {
  if (!Number.isSafeInteger(id)) return null;
  const query = db.select().from(inspections).where(eq(inspections.id, id)).limit(1);
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

/** The inspection's items in the checklist's order, as inspected. */
export async function loadInspectionItems(db: Db, inspectionId: number): Promise<InspectionItemRow[]> {
  return db
    .select()
    .from(inspectionItems)
    .where(eq(inspectionItems.inspectionId, inspectionId))
    .orderBy(asc(inspectionItems.position), asc(inspectionItems.code));
}

/**
 * Stores answers given on a page of the checklist card (and the 检查情况 typed so far), while the inspection is open,
 * with the trail's entry. Answers not given leave what was stored; nothing answered is lost.
 */
export async function storeAnswers(
  tx: Db,
  input: {
    inspectionId: number;
    answers: Record<string, ItemResult>;
    findings?: string;
    page: number;
    actorId: number;
    now: Date;
  },
): Promise<void> {
  const count = await storeItemResults(tx, input.inspectionId, input.answers);
  await tx
    .update(inspections)
    .set({
      ...(input.findings !== undefined ? { findings: input.findings } : {}),
      updatedAt: input.now,
      version: sql`${inspections.version} + 1`,
    })
    .where(eq(inspections.id, input.inspectionId));
  await insertEvent(tx, input.inspectionId, 'answers_saved', input.actorId, input.now, { page: input.page + 1, count });
}

/** Sets items' results (one statement); answers how many were given. The submission's trail entry covers them. */
export async function storeItemResults(
  tx: Db,
  inspectionId: number,
  results: Record<string, ItemResult>,
): Promise<number> {
  const answers = Object.entries(results).map(([code, result]) => ({ code, result }));
  if (answers.length === 0) return 0;
  await tx.execute(sql`
    update inspection_items i set result = x.result
    from jsonb_to_recordset(${JSON.stringify(answers)}::jsonb) as x(code text, result text)
    where i.inspection_id = ${inspectionId} and i.code = x.code and i.result is distinct from x.result`);
  return answers.length;
}

/**
 * The submission, numbered: takes the next number of `year` (no gaps — a rolled-back submit gives it back; no
 * duplicates — the counter's row lock), and sets the code, counts, 检查情况 and status `submitted`, with the trail's
 * entry, in ONE statement: the counter stays locked until the transaction ends, so the fewer round trips after it,
 * the more submits (from every inspector of the county) go through it per second.
 */
export async function submitNumbered(
  tx: Db,
  input: {
    inspectionId: number;
    year: number;
    counts: ResultCounts;
    findings: string;
    actorId: number;
    now: Date;
  },
): Promise<{ year: number; sequence: number; code: string }> {
  const { counts, now, year } = input;
  const at = now.toISOString();
  const [row] = rowsOf<{ sequence: number }>(
    await tx.execute(sql`
      with n as (
        insert into inspection_counters (year, last_sequence) values (${year}, 1)
        on conflict (year) do update set last_sequence = inspection_counters.last_sequence + 1
        returning last_sequence),
      u as (
        update inspections set status = 'submitted', year = ${year}, sequence = n.last_sequence,
          code = 'JC-' || ${String(year)} || '-' || lpad(n.last_sequence::text, greatest(6, length(n.last_sequence::text)), '0'),
          findings = ${input.findings || null}, pass_count = ${counts.pass}, fail_count = ${counts.fail},
          fixed_on_site_count = ${counts.fixed_on_site}, na_count = ${counts.na},
          submitted_at = ${at}::timestamptz, updated_at = ${at}::timestamptz, version = inspections.version + 1
        from n where inspections.id = ${input.inspectionId}
        returning inspections.code, inspections.sequence),
      e as (
        insert into inspection_events (inspection_id, type, actor_id, at, details)
        select ${input.inspectionId}, 'submitted', ${input.actorId}, ${at}::timestamptz,
          jsonb_build_object('code', u.code, 'counts', ${JSON.stringify(counts)}::jsonb) from u)
      select sequence from u`),
  );
  if (!row) throw new Error(`inspection ${input.inspectionId} is not there to submit`);
  const sequence = Number(row.sequence);
  return { year, sequence, code: formatInspectionCode(year, sequence) };
}

/**
 * Links an item to the hazard it became (立查立改 at once; 不合格 when its prefilled report is submitted), with the
 * trail's entry. An item already linked keeps its hazard; answers whether this call linked it.
 */
export async function linkItemToHazard(
  tx: Db,
  input: { inspectionId: number; itemCode: string; hazardId: number; hazardCode: string; actorId: number; now: Date },
): Promise<boolean> {
  const linked = await tx
    .update(inspectionItems)
    .set({ hazardId: input.hazardId })
    .where(
      and(
        eq(inspectionItems.inspectionId, input.inspectionId),
        eq(inspectionItems.code, input.itemCode),
        sql`${inspectionItems.hazardId} is null`,
      ),
    )
    .returning({ code: inspectionItems.code });
  if (linked.length === 0) return false;
  await insertEvent(tx, input.inspectionId, 'hazard_linked', input.actorId, input.now, {
    item: input.itemCode,
    hazard: input.hazardCode,
  });
  return true;
}

/** Photos were attached during the visit: the trail says how many, and the inspection counts as touched now. */
export async function recordInspectionPhotos(
  tx: Db,
  input: { inspectionId: number; count: number; actorId: number; now: Date },
): Promise<void> {
  await tx.update(inspections).set({ updatedAt: input.now }).where(eq(inspections.id, input.inspectionId));
  await insertEvent(tx, input.inspectionId, 'photo_added', input.actorId, input.now, { count: input.count });
}

/** The message now showing the inspection's checklist card (the form it replaced, or a card sent anew). */
export async function setCardMessage(tx: Db, inspectionId: number, messageId: string): Promise<void> {
  await tx.update(inspections).set({ cardMessageId: messageId }).where(eq(inspections.id, inspectionId));
}

/** This person's open inspection touched most recently since `since` (where a photo they send now belongs). */
export async function latestOpenInspectionOf(db: Db, personId: number, since: Date): Promise<InspectionRow | null> {
  const [row] = await db
    .select()
    .from(inspections)
    .where(
      and(eq(inspections.inspectorId, personId), eq(inspections.status, 'open'), gte(inspections.updatedAt, since)),
    )
    .orderBy(desc(inspections.updatedAt))
    .limit(1);
  return row ?? null;
}

/** Serialises starts by one inspector (a double click on 开始检查 must not start two inspections). */
export async function lockInspectorStarts(tx: Db, inspectorId: number): Promise<void> {
  rowsOf(await tx.execute(sql`select pg_advisory_xact_lock(${INSPECTION_LOCK_SPACE}::int, ${inspectorId}::int)`));
}

/** The first key of the two-key advisory locks taken here (the second is the inspector's id). */
const INSPECTION_LOCK_SPACE = 20_260_020;
