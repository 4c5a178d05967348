ALTER TABLE "reminder_steps" DROP CONSTRAINT "reminder_steps_hazard_id_hazards_id_fk";
--> statement-breakpoint
-- reminder_steps: the (hazard, step) key becomes the primary key; the surrogate id and its index go.
ALTER TABLE "reminder_steps" DROP COLUMN "id";--> statement-breakpoint
DROP INDEX "reminder_steps_key";--> statement-breakpoint
ALTER TABLE "reminder_steps" ADD CONSTRAINT "reminder_steps_pkey" PRIMARY KEY("hazard_id","step_key");--> statement-breakpoint
DROP INDEX "hazard_schedules_due_idx";--> statement-breakpoint
ALTER TABLE "reminder_steps" ADD COLUMN "outbox_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "hazard_schedules" ADD COLUMN "sent_keys" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
-- The hazard's township and unit (the sweep's claim order), filled in from the hazards before they become required.
ALTER TABLE "hazard_schedules" ADD COLUMN "region_id" integer;--> statement-breakpoint
ALTER TABLE "hazard_schedules" ADD COLUMN "enterprise_id" integer;--> statement-breakpoint
DELETE FROM "hazard_schedules" s WHERE NOT EXISTS (SELECT 1 FROM "hazards" h WHERE h."id" = s."hazard_id");--> statement-breakpoint
UPDATE "hazard_schedules" s SET "region_id" = h."region_id", "enterprise_id" = h."enterprise_id"
FROM "hazards" h WHERE h."id" = s."hazard_id";--> statement-breakpoint
ALTER TABLE "hazard_schedules" ALTER COLUMN "region_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "hazard_schedules" ALTER COLUMN "enterprise_id" SET NOT NULL;--> statement-breakpoint
-- The keys already claimed, copied onto each schedule row.
UPDATE "hazard_schedules" s SET "sent_keys" = k."keys"
FROM (SELECT "hazard_id", array_agg("step_key" ORDER BY "step_key") AS "keys" FROM "reminder_steps" GROUP BY "hazard_id") k
WHERE s."hazard_id" = k."hazard_id";--> statement-breakpoint
CREATE INDEX "hazard_schedules_due_idx" ON "hazard_schedules" USING btree ("next_due_at","region_id","enterprise_id","hazard_id") WHERE "hazard_schedules"."next_due_at" is not null;--> statement-breakpoint
-- The trigger copies the hazard's township and unit too.
CREATE OR REPLACE FUNCTION "hazard_schedules_touch"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO "hazard_schedules" ("hazard_id", "next_due_at", "evaluated_at", "region_id", "enterprise_id")
	SELECT "id", '-infinity'::timestamptz, NULL, "region_id", "enterprise_id" FROM "changed_hazards"
	ON CONFLICT ("hazard_id") DO UPDATE SET "next_due_at" = '-infinity'::timestamptz, "evaluated_at" = NULL,
		"region_id" = excluded."region_id", "enterprise_id" = excluded."enterprise_id";
	RETURN NULL;
END;
$$;
