-- Ledger, statistics and the read API (src/ledger/), measured with npm run bench:ledger on 1,000,000 hazards.
-- A township's ledger export and list walk (region_id, reported_at, id) as one index range per keyset batch.
CREATE INDEX IF NOT EXISTS "hazards_region_reported_idx" ON "hazards" USING btree ("region_id", "reported_at", "id");--> statement-breakpoint
-- The statistics group every hazard by these columns: an index-only scan reads this narrow index instead of the
-- wide table (431 → 250 ms for the county on the 2-core dev machine).
CREATE INDEX IF NOT EXISTS "hazards_stats_idx" ON "hazards" USING btree ("region_id", "sector", "grade", "status", "supervision", "suspended", "deadline");
