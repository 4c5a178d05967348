import { request } from 'node:http';
import { request as requestHttps } from 'node:https';
import { encryptEvent, randomHex, signEvent } from './crypto.js';
import type { DeliverOptions } from './types.js';

export interface WebhookAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** POSTs one event to the bot the way Feishu does and reads its answer (Feishu waits 3 s; we wait longer). */
export function postWebhook(
  url: string,
  rawBody: string,
  headers: Record<string, string>,
  timeoutMs = 10_000,
): Promise<WebhookAnswer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? requestHttps : request;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(Buffer.byteLength(rawBody)),
          'user-agent': 'Feishu-Open-Platform-Simulator',
          ...headers,
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = {};
          if (text !== '') {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          const flat: Record<string, string> = {};
          for (const [key, value] of Object.entries(res.headers)) {
            if (value !== undefined) flat[key] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: res.statusCode ?? 0, body, headers: flat });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`the bot did not answer ${url} within ${timeoutMs} ms`)));
    req.on('error', (error) => reject(new Error(`webhook delivery to ${url} failed: ${error.message}`)));
    req.end(rawBody);
  });
}

/**
 * The body and headers Feishu sends with an event: encrypted when `encryptKey` is given, signed when the app has an
 * Encrypt Key (`signingKey`), with the forgeries and clock skew tests ask for in `options`.
 */
export function signedWebhookRequest(
  plaintext: string,
  args: {
    encryptKey: string | undefined;
    signingKey: string | undefined;
    now: Date;
    options: Pick<DeliverOptions, 'badSignature' | 'timestampOffsetSeconds'>;
  },
): { rawBody: string; headers: Record<string, string> } {
  const { encryptKey, signingKey, now, options } = args;
  const rawBody = encryptKey ? JSON.stringify({ encrypt: encryptEvent(encryptKey, plaintext) }) : plaintext;
  const timestamp = String(Math.floor(now.getTime() / 1000) + (options.timestampOffsetSeconds ?? 0));
  const nonce = randomHex(8);
  const headers: Record<string, string> = {
    'X-Lark-Request-Timestamp': timestamp,
    'X-Lark-Request-Nonce': nonce,
  };
  if (signingKey !== undefined || options.badSignature) {
    const key = signingKey ?? '';
    headers['X-Lark-Signature'] = signEvent(timestamp, nonce, options.badSignature ? `${key}-forged` : key, rawBody);
  }
  return { rawBody, headers };
}
