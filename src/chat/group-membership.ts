/**
 * The bot joins or leaves a group (`im.chat.member.bot.added_v1` / `im.chat.member.bot.deleted_v1`).
 *
 * Added: the group is told what the bot is for and how a township's leader makes it the township's escalation group
 * (督办群, `@bot 绑定 <乡镇>`) — or, when the directory already names it (群聊ID), whose group it is. Without this a
 * freshly added bot sits silent and nobody knows the next step.
 *
 * Removed: the bot can no longer post there, so the townships bound to it are unbound and their leaders told
 * (see directory/township-chat.ts).
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { unbindTownshipChat } from '../directory/township-chat.js';
import type { BotAddedToChatEvent, BotRemovedFromChatEvent } from '../feishu/events.js';
import { enqueueMessage } from '../feishu/outbox.js';

export interface GroupMembershipDeps {
  db: Db;
  logger: Logger;
  notifyOutbox: () => void;
}

function readEvent(
  body: BotAddedToChatEvent | BotRemovedFromChatEvent,
): { chatId: string; name: string | undefined; operator: string | null } | null {
  if (!body.chat_id) return null;
  return { chatId: body.chat_id, name: body.name?.trim() || undefined, operator: body.operator_id?.open_id ?? null };
}

const HELP = '发送「@我 帮助」查看我能做什么。';

export async function welcomeGroup(deps: GroupMembershipDeps, event: BotAddedToChatEvent): Promise<void> {
  const chat = readEvent(event);
  if (!chat) return;
  const bound = rowsOf<{ name: string }>(
    await deps.db.execute(sql`select name from regions where chat_id = ${chat.chatId} and active order by code`),
  );
  const hello = '大家好，我是隐患排查治理机器人。';
  let text: string;
  if (bound.length > 0) {
    text = `${hello}本群是${bound.map((r) => r.name).join('、')}的督办群：隐患超期后，督办消息会发到本群并 @ 相关责任人。${HELP}`;
  } else {
    // Added by the leader of one township (the usual case): name the exact command for them.
    const own = chat.operator ? await townshipsLedBy(deps.db, chat.operator) : [];
    const command = own.length === 1 ? `「绑定 ${own[0]}」` : '「绑定 乡镇名称」';
    text = `${hello}乡镇领导或管理员在本群 @我 发送${command}，即可把本群设为该乡镇的督办群：隐患超期后，督办消息会发到本群并 @ 相关责任人。${HELP}`;
  }
  await enqueueMessage(deps.db, {
    to: { chatId: chat.chatId },
    msgType: 'text',
    content: { text },
    topic: 'group:welcome',
  });
  deps.notifyOutbox();
}

/** The townships whose leader (主要领导 / 分管领导) this person is. */
async function townshipsLedBy(db: Db, openId: string): Promise<string[]> {
  return rowsOf<{ name: string }>(
    await db.execute(sql`select distinct r.name from people p
      join role_assignments ra on ra.person_id = p.id
      join regions r on r.id = ra.scope_id and ra.scope_kind = 'region'
      where p.open_id = ${openId} and p.active and r.active
        and ra.role in ('township_main_leader', 'township_leader_in_charge')`),
  ).map((r) => r.name);
}

export async function unbindRemovedGroup(deps: GroupMembershipDeps, event: BotRemovedFromChatEvent): Promise<void> {
  const chat = readEvent(event);
  if (!chat) return;
  const regions = await unbindTownshipChat(deps.db, { chatId: chat.chatId, chatName: chat.name, why: 'bot_removed' });
  if (regions.length === 0) return;
  deps.logger.warn(
    { chatId: chat.chatId, operator: chat.operator, regions },
    'bot removed from a township group; unbound',
  );
  deps.notifyOutbox();
}
