/**
 * The shapes of what Feishu delivers, normalised across event schema 1.0 and 2.0. Event bodies are typed from the
 * SDK's own event handler types (the only place outside feishu/ that needs them is chat/, through the aliases here).
 */
import type { EventHandles, RawCardActionEvent } from '@larksuiteoapi/node-sdk';

/**
 * What arrived over the wire, as the platform documents it but with every field possibly missing: the body is
 * untrusted JSON (an old schema, a malformed or forged event), so handlers check what they use.
 */
export type FromTheWire<T> = T extends readonly (infer U)[]
  ? FromTheWire<U>[]
  : T extends object
    ? { [K in keyof T]?: FromTheWire<T[K]> }
    : T;

/** Event types the SDK knows (`im.message.receive_v1`, …). */
export type FeishuEventType = keyof EventHandles & string;

/** The envelope's fields, which the SDK's handler types mix into each body (InboundEvent keeps them apart). */
type EnvelopeField =
  | 'event_id'
  | 'token'
  | 'create_time'
  | 'event_type'
  | 'tenant_key'
  | 'ts'
  | 'uuid'
  | 'type'
  | 'app_id';

/** The body (`event`) of a Feishu event of type `K`, from the SDK's types. */
export type EventBody<K extends FeishuEventType> = FromTheWire<
  Omit<Parameters<NonNullable<EventHandles[K]>>[0], EnvelopeField>
>;

export type MessageReceivedEvent = EventBody<'im.message.receive_v1'>;
export type BotMenuEvent = EventBody<'application.bot.menu_v6'>;
export type BotAddedToChatEvent = EventBody<'im.chat.member.bot.added_v1'>;
export type BotRemovedFromChatEvent = EventBody<'im.chat.member.bot.deleted_v1'>;
/** `card.action.trigger`: the SDK's type, plus what a form submit and an input carry (JSON 2.0 cards). */
export type CardActionTriggerEvent = FromTheWire<
  RawCardActionEvent & {
    action?: { form_value?: Record<string, string | string[]>; input_value?: string };
  }
>;

export interface FeishuEnvelope {
  schema?: string;
  header?: {
    event_id?: string;
    event_type?: string;
    create_time?: string;
    token?: string;
    app_id?: string;
    tenant_key?: string;
  };
  event?: Record<string, unknown>;
  // schema 1.0 and url_verification
  uuid?: string;
  token?: string;
  ts?: string;
  type?: string;
  challenge?: string;
}

/** An event of type `K`; its body is typed when the SDK knows `K`. */
export interface InboundEvent<K extends string = string> {
  eventId: string;
  eventType: K;
  /** The verification token the event carries (v2: header.token; v1: token). */
  token: string | undefined;
  event: K extends FeishuEventType ? EventBody<K> : Record<string, unknown>;
}

export class MalformedEventError extends Error {
  override name = 'MalformedEventError';
}

/** Reads the id, type and body of an event envelope; throws MalformedEventError when they are missing. */
export function normaliseEnvelope(envelope: FeishuEnvelope): InboundEvent {
  if (envelope.schema === '2.0' || envelope.header) {
    const eventId = envelope.header?.event_id;
    const eventType = envelope.header?.event_type;
    if (!eventId || !eventType)
      throw new MalformedEventError(
        '事件缺少 header.event_id 或 header.event_type（header.event_id and header.event_type are required）',
      );
    return { eventId, eventType, token: envelope.header?.token, event: envelope.event ?? {} };
  }
  const event = envelope.event ?? {};
  const eventType = typeof event.type === 'string' ? event.type : envelope.type;
  if (!envelope.uuid || !eventType)
    throw new MalformedEventError('1.0 版事件缺少 uuid 或 event.type（uuid and event.type are required）');
  return { eventId: envelope.uuid, eventType, token: envelope.token, event };
}

/** The message id of a received message, the second deduplication key (Feishu may resend under a new event_id). */
export function messageIdOf(event: InboundEvent): string | undefined {
  if (event.eventType !== 'im.message.receive_v1') return undefined;
  const { message } = event.event as MessageReceivedEvent;
  return typeof message?.message_id === 'string' ? message.message_id : undefined;
}

/** A card button click or form submit (`card.action.trigger`). */
export interface CardAction {
  eventId: string;
  operatorOpenId: string;
  messageId: string | undefined;
  chatId: string | undefined;
  /** The delayed-update token: valid 30 minutes, usable twice. */
  updateToken: string | undefined;
  value: Record<string, unknown>;
  tag: string | undefined;
  name: string | undefined;
  formValue: Record<string, string | string[]> | undefined;
  inputValue: string | undefined;
  option: string | undefined;
}

export function toCardAction(event: InboundEvent): CardAction {
  const e = event.event as CardActionTriggerEvent;
  const operatorOpenId = e.operator?.open_id;
  if (!operatorOpenId)
    throw new MalformedEventError('卡片回调缺少 operator.open_id（card.action.trigger without operator.open_id）');
  const value = e.action?.value;
  return {
    eventId: event.eventId,
    operatorOpenId,
    messageId: e.context?.open_message_id,
    chatId: e.context?.open_chat_id,
    updateToken: e.token,
    value: value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {},
    tag: e.action?.tag,
    name: e.action?.name,
    // Absent fields are left out of form_value rather than sent as null.
    formValue: e.action?.form_value as CardAction['formValue'],
    inputValue: e.action?.input_value,
    option: e.action?.option,
  };
}

/** What a card callback answers: an optional toast and an optional replacement card (JSON 2.0). */
export interface CardActionResponse {
  toast?: {
    type: 'info' | 'success' | 'error' | 'warning';
    content: string;
    i18n?: Record<string, string>;
  };
  card?: { type: 'raw'; data: unknown };
}
