import { request } from 'node:http';
import { request as requestHttps } from 'node:https';

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
