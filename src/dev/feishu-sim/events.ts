/** Builders for the v2 event envelopes Feishu sends (feishu-platform.md §2–§3). */
import { randomHex } from './crypto.js';
import { BOT_NAME, BOT_OPEN_ID, TENANT_KEY } from './state.js';
import type { CardClickOptions, SimUser } from './types.js';

export interface EnvelopeContext {
  appId: string;
  verificationToken: string;
  now: Date;
}

export interface V2Envelope {
  schema: '2.0';
  header: {
    event_id: string;
    event_type: string;
    create_time: string;
    token: string;
    app_id: string;
    tenant_key: string;
  };
  event: Record<string, unknown>;
}

export function newEventId(): string {
  return randomHex(16);
}

/** `createTimeUnit`: ms for im.* and menu events, µs for card callbacks (trap 14). */
export function envelope(
  ctx: EnvelopeContext,
  eventType: string,
  event: Record<string, unknown>,
  createTimeUnit: 'ms' | 'us' = 'ms',
): V2Envelope {
  const ms = ctx.now.getTime();
  return {
    schema: '2.0',
    header: {
      event_id: newEventId(),
      event_type: eventType,
      create_time: createTimeUnit === 'us' ? `${ms}000` : String(ms),
      token: ctx.verificationToken,
      app_id: ctx.appId,
      tenant_key: TENANT_KEY,
    },
    event,
  };
}

export function userIds(user: SimUser) {
  return { open_id: user.openId, union_id: user.unionId ?? '', user_id: user.openId };
}

export interface ReceivedMessage {
  messageId: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  messageType: 'text' | 'image' | 'post';
  content: Record<string, unknown>;
  mentionBot: boolean;
}

export function messageReceived(ctx: EnvelopeContext, sender: SimUser, message: ReceivedMessage): V2Envelope {
  const ms = String(ctx.now.getTime());
  const event: Record<string, unknown> = {
    sender: { sender_id: userIds(sender), sender_type: 'user', tenant_key: TENANT_KEY },
    message: {
      message_id: message.messageId,
      root_id: '',
      parent_id: '',
      create_time: ms,
      update_time: ms,
      chat_id: message.chatId,
      thread_id: '',
      chat_type: message.chatType,
      message_type: message.messageType,
      content: JSON.stringify(message.content),
      ...(message.mentionBot
        ? {
            mentions: [
              {
                key: '@_user_1',
                id: { open_id: BOT_OPEN_ID, union_id: '', user_id: '' },
                name: BOT_NAME,
                tenant_key: TENANT_KEY,
              },
            ],
          }
        : {}),
      user_agent: 'Mozilla/5.0 (feishu-sim)',
    },
  };
  return envelope(ctx, 'im.message.receive_v1', event);
}

export function menuClicked(ctx: EnvelopeContext, operator: SimUser, eventKey: string): V2Envelope {
  return envelope(ctx, 'application.bot.menu_v6', {
    operator: { operator_name: operator.name, operator_id: userIds(operator) },
    event_key: eventKey,
    timestamp: Math.floor(ctx.now.getTime() / 1000),
  });
}

/**
 * `im.chat.member.bot.added_v1` / `im.chat.member.bot.deleted_v1`: someone added the bot to a group, or removed it
 * (the same body for both).
 */
export function botMembershipChanged(
  ctx: EnvelopeContext,
  change: 'added' | 'deleted',
  operator: SimUser,
  chat: { chatId: string; name: string },
): V2Envelope {
  return envelope(ctx, `im.chat.member.bot.${change}_v1`, {
    chat_id: chat.chatId,
    operator_id: userIds(operator),
    external: false,
    operator_tenant_key: TENANT_KEY,
    name: chat.name,
    i18n_names: { zh_cn: chat.name },
  });
}

export function cardClicked(
  ctx: EnvelopeContext,
  operator: SimUser,
  card: { messageId: string; chatId: string; updateToken: string },
  action: CardClickOptions,
): V2Envelope {
  const act: Record<string, unknown> = {
    value: action.value ?? {},
    tag: action.tag ?? 'button',
    timezone: 'Asia/Shanghai',
  };
  if (action.name !== undefined) act.name = action.name;
  if (action.formValue !== undefined) act.form_value = action.formValue;
  return envelope(
    ctx,
    'card.action.trigger',
    {
      operator: { tenant_key: TENANT_KEY, ...userIds(operator) },
      token: card.updateToken,
      action: act,
      host: 'im_message',
      context: { open_message_id: card.messageId, open_chat_id: card.chatId },
    },
    'us',
  );
}
