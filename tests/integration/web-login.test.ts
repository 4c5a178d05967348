/**
 * Feishu login for the web view, through the simulator's authorize page and the real SDK: the session cookie, the
 * state bound to the browser, refusals, someone not in the directory, CSRF on logout, expiry and open redirects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { LEDGER_DIRECTORY, NOW } from '../fixtures/ledger.js';
import { startTestService, type TestService } from '../support/service.js';
import { authorizeLink, signIn, WebClient } from '../support/web-login.js';

const ADMIN = 'web-login-test-admin-token-0123456789';

// biome-ignore lint/suspicious/noExplicitAny: the tests read the JSON answers as a user would, field by field.
type Json = any;
const json = async (response: Response): Promise<Json> => response.json();

describe('web login with Feishu', () => {
  let service: TestService;
  let clock: ManualClock;

  beforeAll(async () => {
    clock = new ManualClock(NOW);
    service = await startTestService({ ADMIN_TOKEN: ADMIN }, { clock, web: true });
    for (const p of LEDGER_DIRECTORY.people) service.sim.addUser({ openId: p.openId, name: p.name });
    service.sim.addUser({ openId: 'ou_stranger', name: '陌生人<b>' });
    const imported = await fetch(`${service.url}/api/admin/directory`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(LEDGER_DIRECTORY),
    });
    expect(imported.status, await imported.text()).toBe(200);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('without a session, JSON answers 401 and nothing else is said', async () => {
    const response = await new WebClient(service.config.PUBLIC_URL!).fetch('/web/api/me');
    expect(response.status).toBe(401);
    expect((await json(response)).error.code).toBe('unauthenticated');
  });

  it('signs a county leader in: an HttpOnly SameSite cookie, their name and scope, back where they started', async () => {
    const client = new WebClient(service.config.PUBLIC_URL!);
    const start = await client.fetch('/auth/feishu/login?next=/web/hazards/YH-2026-000001');
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${service.sim.url}/open-apis/authen/v1/authorize`);
    expect(authorize.searchParams.get('client_id')).toBe(service.sim.appId);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${service.config.PUBLIC_URL}/auth/feishu/callback`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')!.length).toBeGreaterThanOrEqual(32);
    const cookieLine = start.headers.getSetCookie()[0]!;
    expect(cookieLine).toMatch(/^hz_session=/);
    expect(cookieLine).toMatch(/HttpOnly/i);
    expect(cookieLine).toMatch(/SameSite=Lax/i);
    expect(cookieLine).toMatch(/Path=\//);

    const grant = await fetch(await authorizeLink(authorize.toString(), 'ou_county'), { redirect: 'manual' });
    const back = await client.fetch(grant.headers.get('location')!);
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe('/web/hazards/YH-2026-000001');

    const me = await client.fetch('/web/api/me');
    expect(me.status).toBe(200);
    const body = await json(me);
    expect(body).toMatchObject({ code: 'p001', name: '县领导甲', scope: '全县', roles: ['county_leader'] });
    expect(body.csrfToken).toEqual(expect.any(String));
    // The user access token was used to learn who signed in, through the documented v2 exchange and user_info.
    expect(service.sim.calls.filter((c) => c.api === 'authen.token' && c.status === 200)).toHaveLength(1);
    expect(service.sim.calls.filter((c) => c.api === 'authen.user_info' && c.status === 200)).toHaveLength(1);
  });

  it("a township leader's session sees their township", async () => {
    const client = await signIn(service, 'ou_town1');
    const body = await json(await client.fetch('/web/api/me'));
    expect(body.name).toBe(LEDGER_DIRECTORY.people.find((p) => p.openId === 'ou_town1')!.name);
    expect(body.scope).not.toBe('全县');
  });

  it('a callback this browser did not start, a forged state, or a replayed code signs nobody in', async () => {
    const victim = new WebClient(service.config.PUBLIC_URL!);
    const attacker = new WebClient(service.config.PUBLIC_URL!);
    const start = await attacker.fetch('/auth/feishu/login');
    const grant = await fetch(await authorizeLink(start.headers.get('location')!, 'ou_county'), {
      redirect: 'manual',
    });
    const callback = grant.headers.get('location')!;
    // Login CSRF: the attacker's callback link opened in another browser does nothing.
    const forced = await victim.fetch(callback);
    expect(forced.status).toBe(400);
    expect(await forced.text()).toContain('登录已失效');
    expect((await victim.fetch('/web/api/me')).status).toBe(401);

    // The right browser with a changed state: refused.
    const forged = new URL(callback);
    forged.searchParams.set('state', 'x'.repeat(32));
    expect((await attacker.fetch(forged.toString())).status).toBe(400);
    // The pending login is used up by a failed callback too, so the real link no longer works either.
    expect((await attacker.fetch(callback)).status).toBe(400);
    expect((await attacker.fetch('/web/api/me')).status).toBe(401);
  });

  it('a code Feishu has already used is refused with a page that says so', async () => {
    const first = new WebClient(service.config.PUBLIC_URL!);
    const start = await first.fetch('/auth/feishu/login');
    const grant = await fetch(await authorizeLink(start.headers.get('location')!, 'ou_county'), {
      redirect: 'manual',
    });
    const callback = new URL(grant.headers.get('location')!);
    expect((await first.fetch(callback.toString())).status).toBe(302);
    // A second login in the same browser, answered with the old code and the new state.
    const again = await first.fetch('/auth/feishu/login');
    const state = new URL(again.headers.get('location')!).searchParams.get('state')!;
    callback.searchParams.set('state', state);
    const replay = await first.fetch(callback.toString());
    expect(replay.status).toBe(403);
    expect(await replay.text()).toContain('授权码');
  });

  it('refusing on the authorize page, or being outside the directory, explains and signs nobody in', async () => {
    const client = new WebClient(service.config.PUBLIC_URL!);
    const start = await client.fetch('/auth/feishu/login');
    const denied = await fetch(await authorizeLink(start.headers.get('location')!, 'deny'), { redirect: 'manual' });
    const page = await client.fetch(denied.headers.get('location')!);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('没有同意登录');

    const stranger = new WebClient(service.config.PUBLIC_URL!);
    const s = await stranger.fetch('/auth/feishu/login');
    const g = await fetch(await authorizeLink(s.headers.get('location')!, 'ou_stranger'), { redirect: 'manual' });
    const refused = await stranger.fetch(g.headers.get('location')!);
    expect(refused.status).toBe(403);
    const html = await refused.text();
    expect(html).toContain('不在本县的组织名录中');
    expect(html).toContain('县安委办');
    expect(html).toContain('陌生人&#60;b&#62;');
    expect(html).not.toContain('<b>');
    expect((await stranger.fetch('/web/api/me')).status).toBe(401);
  });

  it('never sends the browser to another site after login', async () => {
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example', '/api/admin/sweep']) {
      const client = new WebClient(service.config.PUBLIC_URL!);
      const start = await client.fetch(`/auth/feishu/login?next=${encodeURIComponent(next)}`);
      const grant = await fetch(await authorizeLink(start.headers.get('location')!, 'ou_county'), {
        redirect: 'manual',
      });
      const back = await client.fetch(grant.headers.get('location')!);
      expect(back.headers.get('location'), next).toBe('/web/');
    }
  });

  it('logout needs the CSRF token; afterwards the cookie is gone and so is the access', async () => {
    const client = await signIn(service, 'ou_county');
    const { csrfToken } = await json(await client.fetch('/web/api/me'));
    const saved = client.cookie;
    const forged = await client.fetch('/auth/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '_csrf=wrong',
    });
    expect(forged.status).toBe(403);
    expect((await json(forged)).error.code).toBe('csrf_invalid');
    expect((await client.fetch('/web/api/me')).status).toBe(200);

    const out = await client.fetch('/auth/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `_csrf=${encodeURIComponent(csrfToken)}`,
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/auth/logged-out');
    expect(client.cookie).toBeUndefined();
    expect((await client.fetch('/web/api/me')).status).toBe(401);
    const page = await client.fetch('/auth/logged-out');
    expect(await page.text()).toContain('已退出登录');
    expect(saved).toBeDefined();
  });

  it('a session ends after 12 hours on the service clock', async () => {
    const client = await signIn(service, 'ou_county');
    expect((await client.fetch('/web/api/me')).status).toBe(200);
    clock.advance(11 * 3_600_000);
    expect((await client.fetch('/web/api/me')).status).toBe(200);
    clock.advance(1 * 3_600_000 + 1000);
    expect((await client.fetch('/web/api/me')).status).toBe(401);
  });

  it('serves the web view under a strict Content-Security-Policy, and only the web view', async () => {
    const page = await fetch(`${service.url}/auth/logged-out`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const health = await fetch(`${service.url}/healthz`);
    expect(health.headers.get('content-security-policy')).toBeNull();
  });
});
