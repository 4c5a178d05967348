/**
 * Unbinding a township's escalation group (督办群) the bot can no longer post to: removed from the group
 * (`im.chat.member.bot.deleted_v1`), or never added to a group the directory names (a send answered 230002).
 *
 * Every township bound to that chat is unbound at once — each later escalation would otherwise fail the same way —
 * and that township's leaders and the admins are told in one-to-one chat how to restore it. Escalations still reach
 * each person directly; only the @ in the group stops.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { intArray, rowsOf } from '../db/rows.js';
import { enqueueMessages, type OutgoingMessage } from '../feishu/outbox.js';
import { unbindChatFromRegions } from './store.js';

export interface UnbindRequest {
  chatId: string;
  /** The group's name when known (the membership event carries it). */
  chatName?: string;
  why: 'bot_removed' | 'bot_not_member';
}

interface UnboundRegion {
  id: number;
  code: string;
  name: string;
}

/** Unbinds the chat from every township that has it and queues the notices. Returns the regions' codes. */
export async function unbindTownshipChat(db: Db, request: UnbindRequest): Promise<string[]> {
  const unbound: UnboundRegion[] = await unbindChatFromRegions(db, request.chatId);
  if (unbound.length === 0) return [];
  // Each township's leaders hear about their own township, the admins about every one: one message per person.
  const told = rowsOf<{ open_id: string; region_id: number | null }>(
    await db.execute(sql`
      select distinct p.open_id, case when ra.role = 'admin' then null else ra.scope_id end as region_id
      from role_assignments ra join people p on p.id = ra.person_id
      where p.active and p.open_id is not null and (ra.role = 'admin' or (
        ra.role in ('township_main_leader', 'township_leader_in_charge') and ra.scope_kind = 'region'
        and ra.scope_id = any(${intArray(unbound.map((r) => r.id))}::int[])))`),
  );
  const regionsOf = new Map<string, UnboundRegion[]>();
  for (const row of told) {
    const regionId = row.region_id === null ? null : Number(row.region_id);
    const list = regionsOf.get(row.open_id) ?? [];
    for (const region of unbound) {
      if ((regionId === null || regionId === region.id) && !list.includes(region)) list.push(region);
    }
    regionsOf.set(row.open_id, list);
  }
  const messages: OutgoingMessage[] = [...regionsOf].map(([openId, regions]) => ({
    to: { openId },
    msgType: 'text',
    content: { text: noticeText(request, regions) },
    topic: `township-chat:unbound:${request.chatId}`,
  }));
  if (messages.length > 0) await enqueueMessages(db, messages);
  return unbound.map((r) => r.code);
}

function noticeText(request: UnbindRequest, regions: UnboundRegion[]): string {
  const names = regions.map((r) => r.name).join('、');
  const rebind = regions.map((r) => `「绑定 ${r.name}」`).join('、');
  const what =
    request.why === 'bot_removed'
      ? `机器人已被移出「${request.chatName ?? request.chatId}」，该群不再是${names}的督办群`
      : `机器人不在${names}的督办群（群聊ID ${request.chatId}）中，督办消息发不进去，已解除该群的绑定`;
  return `${what}：超期督办消息仍会单独发给相关责任人，但不再 @ 到群里。如需恢复，请把机器人拉进乡镇工作群，并在群里 @我 发送${rebind}。`;
}
