-- The 复查 clock's policy steps (after: rectified) read the rectifications waiting for verification by when they were submitted.
CREATE INDEX "hazards_awaiting_verification_idx" ON "hazards" USING btree ("grade","rectified_at","id","region_id","enterprise_id") WHERE "hazards"."status" = 'pending_verification';
