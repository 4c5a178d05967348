-- The schedule queue and its triggers give way to the changed-hazard range and the steps' watermarks (0009).
DROP TRIGGER IF EXISTS "hazards_schedule_on_insert" ON "hazards";--> statement-breakpoint
DROP TRIGGER IF EXISTS "hazards_schedule_on_update" ON "hazards";--> statement-breakpoint
DROP FUNCTION IF EXISTS "hazard_schedules_touch"();--> statement-breakpoint
DROP TABLE "hazard_schedules" CASCADE;