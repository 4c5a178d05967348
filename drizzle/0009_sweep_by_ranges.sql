CREATE TABLE "reminder_sweep_state" (
	"id" integer PRIMARY KEY NOT NULL,
	"changed_since" "xid8" NOT NULL,
	"steps_swept_until" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"swept_at" timestamp with time zone NOT NULL,
	"running_owner" text,
	"running_until" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "changed_xid" "xid8" DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
CREATE INDEX "hazards_changed_idx" ON "hazards" USING btree ("changed_xid","region_id","enterprise_id","id") WHERE "hazards"."status" <> 'closed';--> statement-breakpoint
CREATE INDEX "hazards_awaiting_deadline_idx" ON "hazards" USING btree ("grade","deadline","region_id","enterprise_id","id") WHERE "hazards"."status" in ('reported', 'rectifying');--> statement-breakpoint
CREATE INDEX "hazards_assigned_idx" ON "hazards" USING btree ("grade","assigned_at","id","region_id","enterprise_id") WHERE "hazards"."status" = 'rectifying';--> statement-breakpoint
CREATE INDEX "hazards_unacknowledged_idx" ON "hazards" USING btree ("grade","assigned_at","id","region_id","enterprise_id") WHERE "hazards"."status" = 'rectifying' and "hazards"."acknowledged_at" is null;--> statement-breakpoint
CREATE INDEX "hazards_open_reported_idx" ON "hazards" USING btree ("grade","reported_at","id","region_id","enterprise_id") WHERE "hazards"."status" <> 'closed';--> statement-breakpoint
-- Every update of a hazard records its transaction (an insert takes the column's default), so the next reminder
-- sweep evaluates the hazard again: a range of hazards_changed_idx, not a queue row written per change.
CREATE FUNCTION "hazards_touch_changed_xid"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW."changed_xid" := pg_current_xact_id();
	RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "hazards_changed_xid_on_update" BEFORE UPDATE ON "hazards"
	FOR EACH ROW EXECUTE FUNCTION "hazards_touch_changed_xid"();--> statement-breakpoint
-- Nothing swept yet under this scheme: the first sweep evaluates every open hazard (all changed since xid 0).
INSERT INTO "reminder_sweep_state" ("id", "changed_since", "swept_at") VALUES (1, '0', now());
