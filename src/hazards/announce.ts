/**
 * What a hazard's registration and closing start beyond the notices: its 专班群 (a major hazard; made after the
 * report's transaction by the group worker, task-group/) and the word to the unit's own group chat (通报从业人员,
 * 安全生产法第四十一条) where the directory has one. Both are switched by configuration (TASK_GROUPS,
 * NOTIFY_UNIT_CHAT). The unit hears the number, what the hazard is and its deadline, or that it is closed — never
 * who reported it, the reporter's notes, measures or remarks. Nothing here runs before the inspector submits.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { enterprises } from '../db/schema/index.js';
import { GRADE_LABELS, type HazardGrade } from '../domain/index.js';
import { enqueueMessage } from '../feishu/outbox.js';
import { registerTaskGroup, taskGroupName } from './task-group/store.js';

export interface AnnounceOptions {
  /** TASK_GROUPS: a major hazard gets a 专班群. */
  taskGroups: boolean;
  /** NOTIFY_UNIT_CHAT: the unit's group chat hears of registration and closing. */
  unitChat: boolean;
}

const brief = (text: string, max = 80) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** In the report's transaction, once the hazard is registered. */
export async function announceRegistration(
  tx: Db,
  options: AnnounceOptions | undefined,
  hazard: { id: number; code: string; grade: HazardGrade; deadline: string; description: string; enterpriseId: number },
): Promise<void> {
  if (!options) return;
  const unit = await unitOf(tx, hazard.enterpriseId);
  if (options.taskGroups && hazard.grade === 'major') {
    await registerTaskGroup(tx, { hazardId: hazard.id, name: taskGroupName(hazard.code, unit.name) });
  }
  if (options.unitChat && unit.chatId) {
    await enqueueMessage(tx, {
      to: { chatId: unit.chatId },
      msgType: 'text',
      content: {
        text:
          `【隐患通报】${unit.name}登记${GRADE_LABELS[hazard.grade]}一项，编号 ${hazard.code}：${brief(hazard.description)}。` +
          `整改期限 ${hazard.deadline}。整改完成前请全体从业人员注意防范，远离危险部位。`,
      },
      topic: `hazard:${hazard.code}:unit-chat:registered`,
    });
  }
}

/** In the transaction that closes the hazard (销号). */
export async function announceClosing(
  tx: Db,
  options: AnnounceOptions | undefined,
  hazard: { code: string; description: string; enterpriseId: number; closedOn: string },
): Promise<void> {
  if (!options?.unitChat) return;
  const unit = await unitOf(tx, hazard.enterpriseId);
  if (!unit.chatId) return;
  await enqueueMessage(tx, {
    to: { chatId: unit.chatId },
    msgType: 'text',
    content: {
      text: `【隐患销号】${unit.name}隐患 ${hazard.code}（${brief(hazard.description)}）已于 ${hazard.closedOn} 整改验收通过，予以销号。`,
    },
    topic: `hazard:${hazard.code}:unit-chat:closed`,
  });
}

async function unitOf(tx: Db, enterpriseId: number): Promise<{ name: string; chatId: string | null }> {
  const [row] = await tx
    .select({ name: enterprises.name, chatId: enterprises.chatId })
    .from(enterprises)
    .where(eq(enterprises.id, enterpriseId));
  return row ?? { name: '', chatId: null };
}
