CREATE TABLE "hazard_cards" (
	"id" serial PRIMARY KEY NOT NULL,
	"hazard_id" integer NOT NULL,
	"outbox_id" uuid NOT NULL,
	"recipient" text NOT NULL,
	"audience" text NOT NULL,
	"kind" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hazard_counters" (
	"year" integer PRIMARY KEY NOT NULL,
	"last_sequence" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hazard_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"hazard_id" integer NOT NULL,
	"type" text NOT NULL,
	"actor_id" integer,
	"at" timestamp with time zone NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hazard_photos" (
	"id" serial PRIMARY KEY NOT NULL,
	"hazard_id" integer,
	"draft_id" integer,
	"stage" text NOT NULL,
	"uploaded_by_id" integer NOT NULL,
	"content" "bytea" NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"sha256" text NOT NULL,
	"source_message_id" text NOT NULL,
	"source_image_key" text NOT NULL,
	"image_key" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hazards" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"year" integer NOT NULL,
	"sequence" integer NOT NULL,
	"enterprise_id" integer NOT NULL,
	"region_id" integer NOT NULL,
	"department_id" integer,
	"sector" text NOT NULL,
	"grade" text NOT NULL,
	"status" text NOT NULL,
	"description" text NOT NULL,
	"location" text NOT NULL,
	"measures" text NOT NULL,
	"standard" text NOT NULL,
	"deadline" date NOT NULL,
	"deadline_set_at" timestamp with time zone NOT NULL,
	"responsible_id" integer,
	"reporter_id" integer NOT NULL,
	"rectified_by_id" integer,
	"rectification" text,
	"supervision" text DEFAULT 'none' NOT NULL,
	"suspended" boolean DEFAULT false NOT NULL,
	"extension_requested_by_id" integer,
	"extension_requested_at" timestamp with time zone,
	"extension_deadline" date,
	"extension_reason" text,
	"governance_plan" jsonb,
	"basis" text,
	"reported_at" timestamp with time zone NOT NULL,
	"assigned_at" timestamp with time zone,
	"acknowledged_at" timestamp with time zone,
	"rectified_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"closed_by_id" integer,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reminder_steps" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"hazard_id" integer NOT NULL,
	"step_key" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "report_drafts" (
	"id" serial PRIMARY KEY NOT NULL,
	"person_id" integer NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"form" jsonb,
	"hazard_id" integer,
	"opened_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "hazard_cards" ADD CONSTRAINT "hazard_cards_hazard_id_hazards_id_fk" FOREIGN KEY ("hazard_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazard_events" ADD CONSTRAINT "hazard_events_hazard_id_hazards_id_fk" FOREIGN KEY ("hazard_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazard_events" ADD CONSTRAINT "hazard_events_actor_id_people_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazard_photos" ADD CONSTRAINT "hazard_photos_hazard_id_hazards_id_fk" FOREIGN KEY ("hazard_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazard_photos" ADD CONSTRAINT "hazard_photos_draft_id_report_drafts_id_fk" FOREIGN KEY ("draft_id") REFERENCES "public"."report_drafts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazard_photos" ADD CONSTRAINT "hazard_photos_uploaded_by_id_people_id_fk" FOREIGN KEY ("uploaded_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_region_id_regions_id_fk" FOREIGN KEY ("region_id") REFERENCES "public"."regions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_responsible_id_people_id_fk" FOREIGN KEY ("responsible_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_reporter_id_people_id_fk" FOREIGN KEY ("reporter_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_rectified_by_id_people_id_fk" FOREIGN KEY ("rectified_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_extension_requested_by_id_people_id_fk" FOREIGN KEY ("extension_requested_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_closed_by_id_people_id_fk" FOREIGN KEY ("closed_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reminder_steps" ADD CONSTRAINT "reminder_steps_hazard_id_hazards_id_fk" FOREIGN KEY ("hazard_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_drafts" ADD CONSTRAINT "report_drafts_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_drafts" ADD CONSTRAINT "report_drafts_hazard_id_hazards_id_fk" FOREIGN KEY ("hazard_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "hazard_cards_hazard_idx" ON "hazard_cards" USING btree ("hazard_id") WHERE "hazard_cards"."active";--> statement-breakpoint
CREATE INDEX "hazard_cards_outbox_idx" ON "hazard_cards" USING btree ("outbox_id");--> statement-breakpoint
CREATE INDEX "hazard_events_hazard_idx" ON "hazard_events" USING btree ("hazard_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "hazard_photos_source_key" ON "hazard_photos" USING btree ("source_message_id","source_image_key");--> statement-breakpoint
CREATE INDEX "hazard_photos_hazard_idx" ON "hazard_photos" USING btree ("hazard_id");--> statement-breakpoint
CREATE INDEX "hazard_photos_draft_idx" ON "hazard_photos" USING btree ("draft_id");--> statement-breakpoint
CREATE UNIQUE INDEX "hazards_code_key" ON "hazards" USING btree ("code");--> statement-breakpoint
CREATE UNIQUE INDEX "hazards_year_sequence_key" ON "hazards" USING btree ("year","sequence");--> statement-breakpoint
CREATE INDEX "hazards_enterprise_idx" ON "hazards" USING btree ("enterprise_id");--> statement-breakpoint
CREATE INDEX "hazards_region_idx" ON "hazards" USING btree ("region_id","status");--> statement-breakpoint
CREATE INDEX "hazards_department_idx" ON "hazards" USING btree ("department_id","status");--> statement-breakpoint
CREATE INDEX "hazards_responsible_idx" ON "hazards" USING btree ("responsible_id");--> statement-breakpoint
CREATE INDEX "hazards_reporter_idx" ON "hazards" USING btree ("reporter_id");--> statement-breakpoint
CREATE INDEX "hazards_reported_at_idx" ON "hazards" USING btree ("reported_at");--> statement-breakpoint
CREATE INDEX "hazards_open_deadline_idx" ON "hazards" USING btree ("deadline") WHERE "hazards"."status" <> 'closed';--> statement-breakpoint
CREATE UNIQUE INDEX "reminder_steps_key" ON "reminder_steps" USING btree ("hazard_id","step_key");--> statement-breakpoint
CREATE INDEX "report_drafts_person_idx" ON "report_drafts" USING btree ("person_id","updated_at");