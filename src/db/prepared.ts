/**
 * Makes drizzle's queries on postgres.js use named prepared statements.
 *
 * drizzle runs every query through postgres.js's `unsafe(text, params, { prepare: false })`, and postgres.js sends an
 * unprepared query that has parameters in two round trips: Parse + Describe, wait for the parameter types, then
 * Bind + Execute. On the ack path that doubles the socket writes to PostgreSQL — a large share of the service's CPU
 * under load — and every execution is parsed again. A prepared statement goes in one round trip once
 * postgres.js has seen its text on that connection.
 *
 * Plans stay per execution: the connection runs with `plan_cache_mode = force_custom_plan` (see client.ts), so a
 * statement reused with a short id array is never given a generic plan made for "some array" (a scan of everything).
 * Statements are cached per connection and go with it (postgres.js retires connections after 30–60 minutes).
 */
import type { Sql } from 'postgres';

type Unsafe = Sql['unsafe'];
type Callback = (sql: Sql) => unknown;

export function preparingStatements(sql: Sql): Sql {
  const unsafe: Unsafe = sql.unsafe.bind(sql);
  (sql as { unsafe: Unsafe }).unsafe = ((text: string, params?: unknown[], options?: object) =>
    unsafe(text, params as never, { ...options, prepare: true })) as Unsafe;
  // Transactions and savepoints hand their callback a connection-bound Sql of their own: patch that one too.
  for (const method of ['begin', 'savepoint'] as const) {
    const original = (sql as unknown as Record<string, ((...args: unknown[]) => unknown) | undefined>)[method];
    if (typeof original !== 'function') continue;
    (sql as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = (inner: Sql) => (callback as Callback)(preparingStatements(inner));
      }
      return original.apply(sql, args);
    };
  }
  return sql;
}
