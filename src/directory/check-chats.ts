/**
 * The township groups an import binds anew (群聊ID), checked with Feishu: the bot can post only in a group it is a
 * member of, and an admin who pastes a chat_id may not have added it yet. Not fatal — the binding is stored, and
 * the admin adds the bot next — but said in the import's answer, beside the people it could not find.
 * (Should the bot still be missing when an escalation comes, the refused send unbinds the group and tells the
 * township's leaders: directory/township-chat.ts.)
 */
import type { RegionEntry } from './model.js';
import type { DirectoryState } from './state.js';

/** The shape of FeishuClient['isBotInChat'], so unit tests can pass a plain function. */
export type IsBotInChat = (chatId: string) => Promise<boolean>;

export interface UnreachableChat {
  region: string;
  name: string;
  chatId: string;
  reason: string;
}

export const BOT_NOT_IN_GROUP =
  '机器人不在该群中，督办消息发不进去：请把机器人拉进这个群（或在群里 @机器人 发送「绑定 乡镇名称」）';

/** Checks each chat the import sets that differs from the one stored; without a Feishu app there is nothing to ask. */
export async function checkTownshipChats(
  regions: RegionEntry[],
  state: DirectoryState,
  isBotInChat: IsBotInChat | undefined,
): Promise<UnreachableChat[]> {
  if (!isBotInChat) return [];
  const fresh = regions.filter(
    (r): r is RegionEntry & { chatId: string } =>
      typeof r.chatId === 'string' && r.chatId !== state.regions.get(r.code)?.chatId,
  );
  const answers = new Map<string, string | null>();
  for (const chatId of new Set(fresh.map((r) => r.chatId))) {
    try {
      answers.set(chatId, (await isBotInChat(chatId)) ? null : BOT_NOT_IN_GROUP);
    } catch (error) {
      answers.set(
        chatId,
        `无法确认机器人是否在该群中（${(error as Error).message}）；绑定已保存，请确认机器人已在群里`,
      );
    }
  }
  return fresh.flatMap((r) => {
    const reason = answers.get(r.chatId);
    return reason ? [{ region: r.code, name: r.name, chatId: r.chatId, reason }] : [];
  });
}
