-- Ledger, statistics and the read API (src/ledger/).
-- The ledger export and the default list order walk hazards by (reported_at, id) with a keyset.
CREATE INDEX IF NOT EXISTS "hazards_reported_at_id_idx" ON "hazards" USING btree ("reported_at", "id");--> statement-breakpoint
-- The weekly trend counts closures per week.
CREATE INDEX IF NOT EXISTS "hazards_closed_at_idx" ON "hazards" USING btree ("closed_at") WHERE "closed_at" IS NOT NULL;
