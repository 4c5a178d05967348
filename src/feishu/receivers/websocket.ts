import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from 'pino';
import type { FeishuDispatcher } from '../dispatcher.js';
import type { FeishuEnvelope } from '../events.js';
import { EventNotStoredError } from '../inbound-batcher.js';

export interface WebsocketReceiverOptions {
  appId: string;
  appSecret: string;
  baseUrl: string;
  dispatcher: FeishuDispatcher;
  logger: Logger;
}

/**
 * The long connection (FEISHU_EVENT_MODE=websocket): the SDK's WSClient dials Feishu and pushes events and card
 * callbacks to us; no public URL is needed. The connection is authenticated by the app's credentials, so there is no
 * signature to check, and frames feed the same dispatcher as the webhook.
 */
export function createWebsocketReceiver(options: WebsocketReceiverOptions) {
  let client: lark.WSClient | undefined;
  // WSClient only calls `invoke(data)`; handing it our dispatcher keeps one path for both transports.
  const adapter = {
    invoke: async (data: unknown) => {
      try {
        return await options.dispatcher.receive(data as FeishuEnvelope);
      } catch (error) {
        if (error instanceof EventNotStoredError) {
          // Not stored (the database is away): throwing makes the SDK answer the frame 500, and Feishu pushes it again.
          options.logger.warn({ reason: error.reason }, '事件未能保存，飞书稍后重发（event not stored）');
          throw error;
        }
        // Throwing would make Feishu re-push a frame we can never handle; log it and acknowledge.
        options.logger.warn({ err: error }, 'malformed event over the long connection');
        return {};
      }
    },
  };
  return {
    name: 'feishu-websocket',
    start() {
      client = new lark.WSClient({
        appId: options.appId,
        appSecret: options.appSecret,
        domain: options.baseUrl,
        loggerLevel: lark.LoggerLevel.warn,
        autoReconnect: true,
      });
      void client.start({ eventDispatcher: adapter as unknown as lark.EventDispatcher });
      options.logger.info({ baseUrl: options.baseUrl }, 'long connection to Feishu starting');
    },
    async stop() {
      client?.close({ force: true });
      client = undefined;
    },
  };
}
