import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import type { Calendar, EscalationPolicy } from '../domain/index.js';
import type { FeishuClient } from '../feishu/client.js';
import type { FeishuDispatcher } from '../feishu/dispatcher.js';
import { storableText } from '../feishu/event-json.js';
import type { BotMenuEvent, MessageReceivedEvent } from '../feishu/events.js';
import type { IncomingPhoto } from '../hazards/drafts.js';
import type { HazardServiceDeps } from '../hazards/report.js';
import { type ChatTarget, cardAnswer, enqueueAnswer } from './answer.js';
import { bindGroup } from './bind-group.js';
import { answerCardAction } from './card-action-router.js';
import { type Command, type CommandName, MENU_KEYS, parseCommand } from './commands.js';
import { unbindRemovedGroup, welcomeGroup } from './group-membership.js';
import { downloadPhotos, showHazard, startReport, storePhotos } from './hazards.js';
import { buildHelpCard } from './help-card.js';
import { startInspection } from './inspections.js';
import { answerQuery } from './queries.js';

export interface ChatDeps {
  db: Db;
  logger: Logger;
  /** Wakes the outbox sender after a commit, so answers go out at once rather than at the next poll. */
  notifyOutbox: () => void;
  clock: Clock;
  /** Deadlines, in BOT_TIMEZONE. */
  calendar: Calendar;
  /** Where the web view is: 查看详情 on the cards; undefined = no web view, no links. */
  links: HazardServiceDeps['links'];
  /** The escalation policy (its steps on report go out with the report). */
  policy: EscalationPolicy;
  /** Photo download and upload. */
  feishu: Pick<FeishuClient, 'downloadResource' | 'uploadImage' | 'uploadFile'>;
  /** Counts the escalation steps sent at report time in the metrics (the reminders' countSteps). */
  onStepsSent?: HazardServiceDeps['onStepsSent'];
  /** How people can be reached (an SMS gateway reaches the unit's people outside Feishu). */
  reach?: HazardServiceDeps['reach'];
  /** The documents' settings (COUNTY_NAME). */
  documents?: HazardServiceDeps['documents'];
  /** COUNTY_NAME (the files' reporting unit). */
  countyName?: string;
  /** 专班群 and the unit's group chat (TASK_GROUPS, NOTIFY_UNIT_CHAT). */
  announce?: HazardServiceDeps['announce'];
}

export function registerChatHandlers(dispatcher: FeishuDispatcher, deps: ChatDeps): void {
  // Each handler writes through the dispatcher's transaction, so its answer and "event handled" commit together.
  // Photos are downloaded before the transaction that stores them (the dispatcher's preparation), never inside.
  dispatcher.onEvent(
    'im.message.receive_v1',
    (event, { db, prepared }) => handleMessage(event.event, { ...deps, db }, prepared as IncomingPhoto[] | undefined),
    {
      prepare: (event) => {
        const photos = photoMessage(event.event);
        return photos ? () => downloadPhotos(deps, photos) : null;
      },
    },
  );
  dispatcher.onEvent('application.bot.menu_v6', (event, { db }) => handleMenu(event.event, { ...deps, db }));
  dispatcher.onEvent('im.chat.member.bot.added_v1', (event, { db }) => welcomeGroup({ ...deps, db }, event.event));
  dispatcher.onEvent('im.chat.member.bot.deleted_v1', (event, { db }) =>
    unbindRemovedGroup({ ...deps, db }, event.event),
  );
  // Card buttons carry `value.action`, one handler each (card-action-router.ts).
  dispatcher.onCardAction((action) => answerCardAction(deps, action));
}

/** The photos a received message carries, if it is an image (or a post with images) in one-to-one chat. */
function photoMessage(event: MessageReceivedEvent): { openId: string; messageId: string; imageKeys: string[] } | null {
  const { sender, message } = event;
  const openId = sender?.sender_id?.open_id;
  if (!message?.message_id || sender?.sender_type === 'app' || !openId || message.chat_type === 'group') return null;
  if (message.message_type !== 'image' && message.message_type !== 'post') return null;
  const imageKeys = readImageKeys(message.content);
  return imageKeys.length > 0 ? { openId, messageId: message.message_id, imageKeys } : null;
}

async function handleMessage(event: MessageReceivedEvent, deps: ChatDeps, downloaded?: IncomingPhoto[]): Promise<void> {
  const { sender, message } = event;
  if (!message?.message_id || sender?.sender_type === 'app') return;
  const openId = sender?.sender_id?.open_id;
  const inGroup = message.chat_type === 'group';
  // Photos in one-to-one chat: evidence for a report or a rectification (downloaded by the preparation).
  const photos = photoMessage(event);
  if (photos) {
    // Never downloaded here: this runs inside the dispatcher's transaction (see the registration above).
    if (!downloaded) throw new Error('photos reach the handler only after the dispatcher has prepared them');
    if (downloaded.length > 0) await storePhotos(deps, { ...photos, photos: downloaded });
    return;
  }
  if (message.message_type !== 'text' && message.message_type !== 'post') return;
  const text = message.message_type === 'post' ? readPostText(message.content) : readText(message.content);
  const command = text === undefined ? null : parseCommand(text);
  const reply: ChatTarget = { replyTo: message.message_id };
  if (command?.name === 'report' && openId) {
    await startReport(deps, { openId, replyTo: message.message_id, inGroup });
    return;
  }
  if (command?.name === 'inspect' && openId) {
    await startInspection(deps, { openId, replyTo: message.message_id, inGroup });
    return;
  }
  if (command?.name === 'bind' && openId && message.chat_id) {
    await bindGroup(deps, {
      openId,
      chatId: message.chat_id,
      inGroup,
      argument: command.argument,
      replyTo: message.message_id,
    });
    return;
  }
  if (command?.name === 'show' && openId) {
    await showHazard(deps, { openId, argument: command.argument, to: reply });
    return;
  }
  if (command && openId && (await answerQuery(deps, command, openId, reply))) return;
  if (!command) {
    // In a group the bot only hears @mentions; an unknown one gets help. In one-to-one chat, too.
    await answer(deps, reply, null);
    return;
  }
  await answer(deps, reply, command);
}

async function handleMenu(event: BotMenuEvent, deps: ChatDeps): Promise<void> {
  const openId = event.operator?.operator_id?.open_id;
  const key = event.event_key;
  if (!openId || !key || !MENU_KEYS.has(key)) return;
  if (key === 'report') {
    await startReport(deps, { openId, inGroup: false });
    return;
  }
  if (key === 'inspect') {
    await startInspection(deps, { openId, inGroup: false });
    return;
  }
  if (await answerQuery(deps, { name: key, argument: '' }, openId, { openId })) return;
  await answer(deps, { openId }, { name: key as CommandName, argument: '' });
}

/** The help card: asked for (帮助), or for a command it did not recognise (`command` null). */
async function answer(deps: ChatDeps, target: ChatTarget, command: Command | null): Promise<void> {
  const card = buildHelpCard(command === null ? '没有识别到指令。可以发送以下指令：' : undefined);
  await enqueueAnswer(deps.db, target, cardAnswer(card, 'help'));
  deps.notifyOutbox();
}

function readText(content: string | undefined): string | undefined {
  if (!content) return undefined;
  try {
    const parsed = JSON.parse(content) as { text?: unknown };
    // The content is JSON inside the event: a NUL written as \u0000 there only becomes one here.
    return typeof parsed.text === 'string' ? storableText(parsed.text) : undefined;
  } catch {
    return undefined;
  }
}

/** Image keys of an image message, or of the images in a post. */
function readImageKeys(content: string | undefined): string[] {
  if (!content) return [];
  try {
    const parsed = JSON.parse(content) as { image_key?: unknown; content?: unknown };
    if (typeof parsed.image_key === 'string') return [parsed.image_key];
    if (!Array.isArray(parsed.content)) return [];
    return parsed.content
      .flat()
      .filter(
        (node): node is { tag: string; image_key: string } => node?.tag === 'img' && typeof node.image_key === 'string',
      )
      .map((node) => node.image_key);
  } catch {
    return [];
  }
}

/** The text of a post (rich text), paragraphs joined by spaces. */
function readPostText(content: string | undefined): string | undefined {
  if (!content) return undefined;
  try {
    const parsed = JSON.parse(content) as { content?: unknown };
    if (!Array.isArray(parsed.content)) return undefined;
    return storableText(
      parsed.content
        .flat()
        .map((node: { tag?: string; text?: string; user_id?: string }) =>
          node?.tag === 'text' ? (node.text ?? '') : node?.tag === 'at' ? ` ${node.user_id ?? ''} ` : '',
        )
        .join(' '),
    );
  } catch {
    return undefined;
  }
}
