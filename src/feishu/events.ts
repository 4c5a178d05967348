/** The shapes of what Feishu delivers, normalised across event schema 1.0 and 2.0. */

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

export interface InboundEvent {
  eventId: string;
  eventType: string;
  /** The verification token the event carries (v2: header.token; v1: token). */
  token: string | undefined;
  event: Record<string, unknown>;
}

export class MalformedEventError extends Error {
  override name = 'MalformedEventError';
}

/** Reads the id, type and body of an event envelope; throws MalformedEventError when they are missing. */
export function normaliseEnvelope(envelope: FeishuEnvelope): InboundEvent {
  if (envelope.schema === '2.0' || envelope.header) {
    const eventId = envelope.header?.event_id;
    const eventType = envelope.header?.event_type;
    if (!eventId || !eventType) throw new MalformedEventError('header.event_id and header.event_type are required');
    return { eventId, eventType, token: envelope.header?.token, event: envelope.event ?? {} };
  }
  const event = envelope.event ?? {};
  const eventType = typeof event.type === 'string' ? event.type : envelope.type;
  if (!envelope.uuid || !eventType) throw new MalformedEventError('uuid and event.type are required (schema 1.0)');
  return { eventId: envelope.uuid, eventType, token: envelope.token, event };
}

/** The message id of a received message, the second deduplication key (Feishu may resend under a new event_id). */
export function messageIdOf(event: InboundEvent): string | undefined {
  if (event.eventType !== 'im.message.receive_v1') return undefined;
  const message = event.event.message as { message_id?: unknown } | undefined;
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
  const e = event.event as {
    operator?: { open_id?: string };
    token?: string;
    action?: {
      value?: unknown;
      tag?: string;
      name?: string;
      form_value?: Record<string, string | string[]>;
      input_value?: string;
      option?: string;
    };
    context?: { open_message_id?: string; open_chat_id?: string };
  };
  const operatorOpenId = e.operator?.open_id;
  if (!operatorOpenId) throw new MalformedEventError('card.action.trigger without operator.open_id');
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
    formValue: e.action?.form_value,
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
