CREATE TABLE "digest_deliveries" (
	"day" date NOT NULL,
	"person_id" integer NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	CONSTRAINT "digest_deliveries_day_person_id_pk" PRIMARY KEY("day","person_id")
);
--> statement-breakpoint
CREATE TABLE "hazard_schedules" (
	"hazard_id" integer PRIMARY KEY NOT NULL,
	"next_due_at" timestamp with time zone,
	"evaluated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "scheduler_slots" (
	"job" text NOT NULL,
	"slot" timestamp with time zone NOT NULL,
	"owner" text NOT NULL,
	"lease_until" timestamp with time zone NOT NULL,
	"claimed_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"attempts" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "scheduler_slots_job_slot_pk" PRIMARY KEY("job","slot")
);
--> statement-breakpoint
ALTER TABLE "regions" ADD COLUMN "chat_id" text;--> statement-breakpoint
ALTER TABLE "digest_deliveries" ADD CONSTRAINT "digest_deliveries_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazard_schedules" ADD CONSTRAINT "hazard_schedules_hazard_id_hazards_id_fk" FOREIGN KEY ("hazard_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "hazard_schedules_due_idx" ON "hazard_schedules" USING btree ("next_due_at") WHERE "hazard_schedules"."next_due_at" is not null;--> statement-breakpoint
CREATE INDEX "scheduler_slots_unfinished_idx" ON "scheduler_slots" USING btree ("lease_until") WHERE "scheduler_slots"."finished_at" is null;--> statement-breakpoint
-- Every insert or update of a hazard makes it due for re-evaluation by the next reminder sweep (src/reminders/):
-- the sweep then stores the real next-due instant. Statement-level with transition tables, so bulk writes pay
-- one upsert per statement rather than one trigger call per row.
CREATE FUNCTION "hazard_schedules_touch"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO "hazard_schedules" ("hazard_id", "next_due_at", "evaluated_at")
	SELECT "id", '-infinity'::timestamptz, NULL FROM "changed_hazards"
	ON CONFLICT ("hazard_id") DO UPDATE SET "next_due_at" = '-infinity'::timestamptz, "evaluated_at" = NULL;
	RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "hazards_schedule_on_insert" AFTER INSERT ON "hazards"
	REFERENCING NEW TABLE AS "changed_hazards" FOR EACH STATEMENT EXECUTE FUNCTION "hazard_schedules_touch"();--> statement-breakpoint
CREATE TRIGGER "hazards_schedule_on_update" AFTER UPDATE ON "hazards"
	REFERENCING NEW TABLE AS "changed_hazards" FOR EACH STATEMENT EXECUTE FUNCTION "hazard_schedules_touch"();--> statement-breakpoint
INSERT INTO "hazard_schedules" ("hazard_id", "next_due_at") SELECT "id", '-infinity'::timestamptz FROM "hazards" WHERE "status" <> 'closed';
