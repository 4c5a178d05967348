import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/*
 * One row per rate-limit key (a client address, a phone, a used challenge) and its window: the count @fastify/rate-limit
 * asks for, kept in the database so every replica shares one limit. src/http/rate-limit-store.ts alone writes it.
 */
export const rateLimitHits = pgTable('rate_limit_hits', {
  key: text('key').primaryKey(),
  hits: integer('hits').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});
