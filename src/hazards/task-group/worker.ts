/**
 * The group worker (专班群): after a major hazard's report has committed, makes its group, adds its people, posts and
 * pins its living card, posts every later step, and renames the group 已销号 on closing. The hazard never waits on
 * it: the report only writes a `task_groups` row (store.ts); failures here are retried with backoff.
 *
 * Once only, whatever fails and whoever retries: the create call carries a uuid made from the hazard (Feishu makes
 * one chat per uuid), and its chat_id is recorded before anything else; the card and the steps are outbox rows
 * written in the transaction that moves the row on, guarded by the state they move from.
 */
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import { hazardEvents, outbox, people, reminderSteps } from '../../db/schema/index.js';
import type { PersonRecord } from '../../directory/lookup.js';
import type { Calendar, EscalationPolicy } from '../../domain/index.js';
import type { FeishuClient } from '../../feishu/client.js';
import { FeishuApiError, toFeishuError } from '../../feishu/errors.js';
import { enqueueMessage, enqueueMessages, type OutgoingMessage } from '../../feishu/outbox.js';
import { RECIPIENT_LABELS } from '../../reminders/sweep/compose.js';
import { registerHazardCard } from '../cards/delivery.js';
import type { CardLinks } from '../cards/detail-link.js';
import { renderHazardCard } from '../cards/living-card.js';
import { loadHazard } from '../repository.js';
import { buildHazardView, describeEvent } from '../view.js';
import {
  type HazardSummary,
  hazardOf,
  type Member,
  memberErrorReason,
  membersOf,
  notAddedMessages,
  REASONS,
} from './members.js';
import {
  dueTaskGroups,
  lockForCard,
  type NotAdded,
  recordCardPosted,
  recordChatCreated,
  recordClosed,
  recordFailure,
  recordPinned,
  recordPolicyStepsPosted,
  recordStepsPosted,
  type TaskGroupRow,
  taskGroupName,
} from './store.js';

export type TaskGroupFeishu = Pick<FeishuClient, 'createChat' | 'addChatMembers' | 'renameChat' | 'pinMessage'>;

export interface TaskGroupWorkerOptions {
  db: Db;
  feishu: TaskGroupFeishu;
  clock: Clock;
  calendar: Calendar;
  /** 查看详情 on the hazard's card pinned in the group (detail-link.ts). */
  links: CardLinks;
  logger: Logger;
  /** Wakes the outbox sender after queuing the card, the steps or the notices. */
  notifyOutbox: () => void;
  pollIntervalMs?: number;
  /** The escalation policy: the labels of its steps, posted in the group as they are sent. */
  policy?: EscalationPolicy;
  /** The first retry's delay, doubled for each further one up to ten minutes. */
  retryBaseMs?: number;
}

const BATCH = 10;
const MAX_ATTEMPTS = 20;
const MAX_BACKOFF_MS = 10 * 60_000;
const MEMBERS_PER_CALL = 50;
/** Trail entries that are not steps to tell the group of (the card shows the photos). */
const NOT_POSTED = new Set(['reported', 'photo_added']);
/** Group API codes that mean "later", not "never": rate limited on the chat, chat still being created. */
const TRY_AGAIN_CODES = new Set([232019, 232068]);

export class TaskGroupWorker {
  readonly name = 'task-group-worker';
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: TaskGroupWorkerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  kick(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let busy = false;
      try {
        busy = await this.pass();
      } catch (error) {
        this.options.logger.warn({ err: error }, 'task group pass failed; retrying');
      }
      if (!busy && this.running) await this.sleep(this.options.pollIntervalMs ?? 300);
    }
  }

  /** One pass over the groups with work to do; true when it did some (there may be more). */
  async pass(): Promise<boolean> {
    const rows = await dueTaskGroups(this.options.db, BATCH);
    let progressed = false;
    for (const row of rows) {
      if (!this.running) break;
      try {
        progressed = (await this.advance(row)) || progressed;
      } catch (raw) {
        await this.fail(row, raw);
      }
    }
    return progressed;
  }

  /** Moves one group as far as it can go now. */
  private async advance(row: TaskGroupRow): Promise<boolean> {
    const { db, feishu } = this.options;
    const hazard = await hazardOf(db, row.hazardId);
    let status = row.status;
    let chatId = row.chatId;
    if (status === 'pending') {
      // The uuid makes a retry (after a timeout whose answer was lost) return the chat already made.
      const made = await feishu.createChat({
        name: row.name,
        description: `${hazard.code} 重大事故隐患治理专班：整改、验收、督办的每一步都会发到本群。`,
        uuid: `hazard-group-${row.hazardId}`,
      });
      chatId = made.chatId;
      await recordChatCreated(db, row.hazardId, chatId);
      status = 'created';
    }
    if (!chatId) throw new Error(`task group of hazard ${row.hazardId} has no chat_id in status ${status}`);
    if (status === 'created') {
      await this.addMembersAndPostCard(row, hazard, chatId);
      this.options.notifyOutbox();
      return true;
    }
    if (status === 'posted') {
      const pinned = await this.pin(row);
      if (!pinned) return this.postSteps(row, hazard, chatId);
      status = 'active';
    }
    const posted = await this.postSteps(row, hazard, chatId);
    const reminded = await this.postPolicySteps(row, hazard, chatId);
    if (posted || reminded) return true;
    if (status === 'active' && hazard.status === 'closed') {
      const name = taskGroupName(hazard.code, hazard.unitName, true);
      await feishu.renameChat({ chatId, name });
      await recordClosed(db, row.hazardId, name);
      return true;
    }
    return status !== row.status;
  }

  /** Adds the hazard's people, then (one transaction) the card in the group and word to whoever is not in it. */
  private async addMembersAndPostCard(row: TaskGroupRow, hazard: HazardSummary, chatId: string): Promise<void> {
    const { db, feishu, clock, calendar, links } = this.options;
    const members = await membersOf(db, hazard);
    const notAdded: (NotAdded & { person: PersonRecord })[] = [];
    const byOpenId = new Map<string, Member>();
    for (const m of members) {
      if (m.person.openId) byOpenId.set(m.person.openId, m);
      else notAdded.push({ name: m.person.name, reason: REASONS.noAccount, person: m.person });
    }
    const openIds = [...byOpenId.keys()];
    for (let i = 0; i < openIds.length; i += MEMBERS_PER_CALL) {
      const chunk = openIds.slice(i, i + MEMBERS_PER_CALL);
      let refused: { openId: string; reason: string }[];
      try {
        const answer = await feishu.addChatMembers({ chatId, openIds: chunk });
        refused = [
          ...answer.notExisted.map((openId) => ({ openId, reason: REASONS.notExisted })),
          ...answer.invalid.map((openId) => ({ openId, reason: REASONS.invalid })),
          ...answer.pending.map((openId) => ({ openId, reason: REASONS.pending })),
        ];
      } catch (raw) {
        const error = toFeishuError(raw);
        const reason = memberErrorReason(error);
        if (!reason) throw error;
        refused = chunk.map((openId) => ({ openId, reason }));
      }
      for (const r of refused) {
        const m = byOpenId.get(r.openId);
        if (m) notAdded.push({ name: m.person.name, reason: r.reason, person: m.person });
      }
    }

    const now = clock.now();
    await db.transaction(async (tx) => {
      if (!(await lockForCard(tx, row.hazardId))) return; // another worker got there first
      const record = (await loadHazard(tx, hazard.code))!;
      const view = await buildHazardView(tx, record, now, calendar, links);
      const cardOutboxId = await enqueueMessage(tx, {
        to: { chatId },
        msgType: 'interactive',
        content: renderHazardCard(view, 'viewer', 'info'),
        topic: `hazard:${hazard.code}:group-card`,
      });
      await registerHazardCard(tx, {
        hazardId: row.hazardId,
        outboxId: cardOutboxId,
        recipient: chatId,
        audience: 'viewer',
        kind: 'info',
        now,
      });
      await recordCardPosted(tx, row.hazardId, {
        cardOutboxId,
        notAdded: notAdded.map(({ name, reason }) => ({ name, reason })),
      });
      await enqueueMessages(tx, notAddedMessages(hazard, notAdded));
    });
  }

  /** Pins the living card once the outbox has sent it. True when the group is complete (pinned, or never will be). */
  private async pin(row: TaskGroupRow): Promise<boolean> {
    const { db, feishu, logger } = this.options;
    if (!row.cardOutboxId) return false;
    const [card] = await db
      .select({ status: outbox.status, messageId: outbox.messageId, lastError: outbox.lastError })
      .from(outbox)
      .where(eq(outbox.id, row.cardOutboxId));
    if (card?.status === 'failed' || !card) {
      await recordPinned(db, row.hazardId, `群内卡片未能发出：${card?.lastError ?? '出站行不存在'}`);
      return true;
    }
    if (!card.messageId) return false; // not sent yet
    try {
      await feishu.pinMessage(card.messageId);
      await recordPinned(db, row.hazardId, null);
    } catch (raw) {
      const error = toFeishuError(raw);
      if (error.kind !== 'permanent' || TRY_AGAIN_CODES.has(error.code ?? 0)) throw error;
      logger.warn({ hazardId: row.hazardId, code: error.code }, 'the group card could not be pinned');
      await recordPinned(db, row.hazardId, `置顶失败：${error.message}`);
    }
    return true;
  }

  /** Posts the steps not posted yet, in order, as short texts (one transaction with the cursor). */
  private async postSteps(row: TaskGroupRow, hazard: HazardSummary, chatId: string): Promise<boolean> {
    const { db, calendar } = this.options;
    const events = await db
      .select({
        id: hazardEvents.id,
        type: hazardEvents.type,
        at: hazardEvents.at,
        details: hazardEvents.details,
        actor: people.name,
      })
      .from(hazardEvents)
      .leftJoin(people, eq(people.id, hazardEvents.actorId))
      .where(and(eq(hazardEvents.hazardId, row.hazardId), gt(hazardEvents.id, row.lastEventId)))
      .orderBy(asc(hazardEvents.id))
      .limit(50);
    if (events.length === 0) return false;
    const last = events[events.length - 1]!.id;
    const messages: OutgoingMessage[] = events
      .filter((e) => !NOT_POSTED.has(e.type))
      .map((e) => {
        const local = calendar.toLocal(e.at);
        const what = describeEvent(e.type, (e.details ?? {}) as Record<string, unknown>);
        return {
          to: { chatId },
          msgType: 'text',
          content: { text: `【${hazard.code}】${what}（${e.actor ?? '系统'}，${local.date} ${local.time}）` },
          topic: `hazard:${hazard.code}:group-step:${e.id}`,
        };
      });
    await db.transaction(async (tx) => {
      if (!(await recordStepsPosted(tx, row.hazardId, row.lastEventId, last))) return;
      await enqueueMessages(tx, messages);
    });
    this.options.notifyOutbox();
    row.lastEventId = last;
    return true;
  }

  /** Posts the escalation policy's steps sent since (reminders, 督办, escalations): what, and who was told. */
  private async postPolicySteps(row: TaskGroupRow, hazard: HazardSummary, chatId: string): Promise<boolean> {
    const { db, calendar, policy } = this.options;
    const steps = await db
      .select({ key: reminderSteps.stepKey, sentAt: reminderSteps.sentAt, delivered: reminderSteps.delivered })
      .from(reminderSteps)
      .where(
        and(
          eq(reminderSteps.hazardId, row.hazardId),
          sql`not (${reminderSteps.stepKey} = any(${`{${row.postedSteps.join(',')}}`}::text[]))`,
        ),
      )
      .orderBy(asc(reminderSteps.sentAt), asc(reminderSteps.stepKey));
    if (steps.length === 0) return false;
    const messages: OutgoingMessage[] = steps.map((step) => {
      const id = step.key.split('@')[0] ?? step.key;
      const definition = policy?.steps.find((s) => s.id === id);
      const local = calendar.toLocal(step.sentAt);
      const who = definition ? definition.who.map((w) => RECIPIENT_LABELS[w] ?? w).join('、') : '';
      return {
        to: { chatId },
        msgType: 'text',
        content: {
          text:
            `【${hazard.code}】督办提醒：${definition?.label ?? id}${who ? `，已通知${who}` : ''}` +
            `${step.delivered ? '' : '（无人可联系，未送达）'}（${local.date} ${local.time}）`,
        },
        topic: `hazard:${hazard.code}:group-policy-step`,
      };
    });
    const keys = steps.map((s) => s.key);
    await db.transaction(async (tx) => {
      if (!(await recordPolicyStepsPosted(tx, row.hazardId, keys))) return;
      await enqueueMessages(tx, messages);
    });
    row.postedSteps = [...row.postedSteps, ...keys];
    this.options.notifyOutbox();
    return true;
  }

  private async fail(row: TaskGroupRow, raw: unknown): Promise<void> {
    const error = raw instanceof FeishuApiError ? raw : raw instanceof Error ? raw : toFeishuError(raw);
    const attempts = row.attempts + 1;
    const base = Math.min(MAX_BACKOFF_MS, (this.options.retryBaseMs ?? 500) * 2 ** (attempts - 1));
    const delayMs = base / 2 + Math.random() * (base / 2);
    const giveUp = attempts >= MAX_ATTEMPTS;
    this.options.logger[giveUp ? 'error' : 'warn'](
      { hazardId: row.hazardId, status: row.status, attempts, reason: error.message },
      giveUp ? '专班群操作多次失败，已放弃（task group given up）' : 'task group step failed; retrying',
    );
    await recordFailure(this.options.db, row.hazardId, { attempts, error: error.message, delayMs, giveUp }).catch(
      (dbError) => this.options.logger.warn({ err: dbError }, 'task group failure not recorded'),
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
