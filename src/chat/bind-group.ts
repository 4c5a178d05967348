/**
 * 绑定 — makes a group chat a township's escalation group (督办群): `@bot 绑定 城关镇` (or the region's code), sent in
 * that group. Escalation steps with the @ channel then post there and @mention the people told. People in Feishu
 * never see a chat's id (oc_…), so this is how a township's group is set in practice; the directory's 群聊ID column
 * does the same for an admin who has the ids.
 *
 * Who may: an admin, or a leader of that township (乡镇主要领导 / 乡镇分管领导). Anyone else, a one-to-one chat, or an
 * unknown township gets an answer that says what to do instead; nothing changes.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';
import { findPersonByOpenId } from '../directory/lookup.js';
import { bindRegionChat } from '../directory/store.js';
import { enqueueAnswer, textAnswer } from './answer.js';

export interface BindRequest {
  openId: string;
  /** The chat the message was sent in. */
  chatId: string;
  inGroup: boolean;
  /** What followed 绑定: a region's code or its name. */
  argument: string;
  replyTo: string;
}

const HOW = '请在乡镇安全生产工作群里 @我 发送「绑定 乡镇名称」（或区域编码），我会把该群设为这个乡镇的督办群。';

export async function bindGroup(deps: { db: Db; notifyOutbox: () => void }, request: BindRequest): Promise<void> {
  const text = await bind(deps.db, request);
  await enqueueAnswer(deps.db, { replyTo: request.replyTo }, textAnswer(text, 'bind'));
  deps.notifyOutbox();
}

/** Binds if it may, and says what happened (or what to do instead). */
async function bind(db: Db, request: BindRequest): Promise<string> {
  if (!request.inGroup) return HOW;
  const wanted = request.argument.trim();
  if (!wanted) return `请说明是哪个乡镇。${HOW}`;
  const person = await findPersonByOpenId(db, request.openId);
  if (!person) return '名录中没有你的信息，不能绑定督办群；请联系管理员。';
  const regions = rowsOf<{ id: number; code: string; name: string; chat_id: string | null }>(
    await db.execute(sql`select id, code, name, chat_id from regions
      where active and (code = ${wanted} or name = ${wanted}) order by code = ${wanted} desc, code limit 5`),
  );
  const exact = regions.find((r) => r.code === wanted);
  if (regions.length === 0) return `名录中没有“${wanted}”这个乡镇（区域）：请用完整名称或区域编码。`;
  if (!exact && regions.length > 1) {
    return `有 ${regions.length} 个区域叫“${wanted}”：请改用区域编码（${regions.map((r) => r.code).join('、')}）。`;
  }
  const region = exact ?? regions[0]!;
  const mayBind = person.roles.some(
    (r) =>
      r.role === 'admin' ||
      ((r.role === 'township_main_leader' || r.role === 'township_leader_in_charge') &&
        r.scope.kind === 'region' &&
        r.scope.code === region.code),
  );
  if (!mayBind) return `只有管理员或${region.name}的乡镇领导可以绑定督办群。`;
  if (region.chat_id === request.chatId) return `本群已是${region.name}的督办群。`;
  await bindRegionChat(db, Number(region.id), request.chatId);
  const replaced = region.chat_id ? `（原督办群不再接收${region.name}的督办消息）` : '';
  return `已将本群设为${region.name}的督办群：隐患超期后，督办消息会发到本群并 @ 相关责任人。${replaced}`;
}
