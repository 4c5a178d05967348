import { Writable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';

/** A logger writing JSON lines into an array, as the service's does to stdout. */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger('debug', { destination }), text: () => lines.join('\n') };
}

describe('the log carries no secret and no message text', () => {
  it('a failed query is logged without its parameters, as an error and as a plain reason', async () => {
    const token = 'sim-verification-token-abcdef';
    const userText = '仓库二楼消防通道被货物堵死';
    const db = drizzle(new PGlite());
    const payload = JSON.stringify({ header: { token }, event: { message: { content: userText } } });
    const error = await db.execute(sql`select (${payload}::jsonb ->> 'nope')::int + ${'not a number'}::int`).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain(token); // the driver's message does carry them…
    const { logger, text } = capture();
    logger.error({ err: error }, 'event store failed');
    logger.warn({ reason: `network: ${error!.message}`, outboxId: 'x' }, 'outbox send will be retried');
    await new Promise((resolve) => setImmediate(resolve));
    const log = text();
    expect(log).toContain('Failed query');
    expect(log).toContain('params: [redacted]');
    expect(log).not.toContain(token); // …the log does not
    expect(log).not.toContain(userText);
    expect(log).toContain('22P02'); // what went wrong stays: the database's error code
  }, 30_000); // An embedded database starts in 1–3 s alone, and in more than 5 s beside the other unit files.

  it('secrets in known fields are redacted', async () => {
    const { logger, text } = capture();
    logger.info({ config: { FEISHU_APP_SECRET: 's3cret', ADMIN_TOKEN: 'adm1n' } }, 'config');
    await new Promise((resolve) => setImmediate(resolve));
    expect(text()).not.toMatch(/s3cret|adm1n/);
  });
});
