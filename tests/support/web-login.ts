/**
 * A browser without a browser: cookies kept, redirects not followed, so a test sees each step of the web login
 * (our redirect → the simulator's authorize page → its grant → our callback) and then requests pages signed in.
 */
import type { TestService } from './service.js';

export class WebClient {
  cookie: string | undefined;

  constructor(readonly baseUrl: string) {}

  /** A request to the service with this client's cookie; a Set-Cookie in the answer replaces it. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set('cookie', this.cookie);
    const url = path.startsWith('http') ? path : `${this.baseUrl}${path}`;
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    const set = response.headers.getSetCookie();
    for (const line of set) {
      const pair = line.split(';')[0]!;
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      // An expired cookie (logout) clears it.
      if (value === '' || /max-age=0|expires=Thu, 01 Jan 1970/i.test(line)) this.cookie = undefined;
      else this.cookie = `${name}=${value}`;
    }
    return response;
  }
}

/** The link the simulator's authorize page offers for this user (or 'deny'), as an absolute URL. */
export async function authorizeLink(authorizeUrl: string, openId: string | 'deny'): Promise<string> {
  const page = await (await fetch(authorizeUrl)).text();
  const pattern =
    openId === 'deny'
      ? /class="deny" href="([^"]+)"/
      : new RegExp(`data-open-id="${openId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" href="([^"]+)"`);
  const href = pattern.exec(page)?.[1];
  if (!href) throw new Error(`the simulator's authorize page has no link for ${openId}:\n${page.slice(0, 500)}`);
  return new URL(href.replace(/&#38;/g, '&'), authorizeUrl).toString();
}

/**
 * Signs in as the simulator user `openId` the way a browser would and answers the signed-in client; `next` is where
 * the login returns to. Throws when a step does not answer as it should.
 */
export async function signIn(service: TestService, openId: string, next = '/web/'): Promise<WebClient> {
  const client = new WebClient(service.config.PUBLIC_URL!);
  const start = await client.fetch(`/auth/feishu/login?next=${encodeURIComponent(next)}`);
  if (start.status !== 302) throw new Error(`login answered ${start.status}`);
  const grant = await fetch(await authorizeLink(start.headers.get('location')!, openId), { redirect: 'manual' });
  const callback = grant.headers.get('location');
  if (grant.status !== 302 || !callback) throw new Error(`the simulator's grant answered ${grant.status}`);
  const back = await client.fetch(callback);
  if (back.status !== 302) throw new Error(`callback answered ${back.status}: ${await back.text()}`);
  return client;
}
