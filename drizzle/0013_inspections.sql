CREATE TABLE "checklist_items" (
	"checklist_id" integer NOT NULL,
	"code" text NOT NULL,
	"position" integer NOT NULL,
	"text" text NOT NULL,
	"basis" text NOT NULL,
	"major" boolean DEFAULT false NOT NULL,
	CONSTRAINT "checklist_items_pkey" PRIMARY KEY("checklist_id","code")
);
--> statement-breakpoint
CREATE TABLE "checklists" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"sector" text NOT NULL,
	"source" text DEFAULT 'county' NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inspection_counters" (
	"year" integer PRIMARY KEY NOT NULL,
	"last_sequence" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inspection_draws" (
	"id" serial PRIMARY KEY NOT NULL,
	"plan_id" integer NOT NULL,
	"period_start" date NOT NULL,
	"period_end" date NOT NULL,
	"seed" text NOT NULL,
	"candidate_count" integer NOT NULL,
	"enterprise_ids" integer[] NOT NULL,
	"drawn_at" timestamp with time zone NOT NULL,
	"drawn_by" text NOT NULL,
	"reason" text,
	"superseded_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "inspection_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"inspection_id" integer NOT NULL,
	"type" text NOT NULL,
	"actor_id" integer,
	"at" timestamp with time zone NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inspection_items" (
	"inspection_id" integer NOT NULL,
	"code" text NOT NULL,
	"position" integer NOT NULL,
	"text" text NOT NULL,
	"basis" text NOT NULL,
	"major" boolean NOT NULL,
	"result" text NOT NULL,
	"hazard_id" integer,
	CONSTRAINT "inspection_items_pkey" PRIMARY KEY("inspection_id","code")
);
--> statement-breakpoint
CREATE TABLE "inspection_plans" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"owner_kind" text NOT NULL,
	"owner_id" integer NOT NULL,
	"from" date NOT NULL,
	"to" date NOT NULL,
	"every" text NOT NULL,
	"units" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"sample" jsonb,
	"active" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inspections" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text,
	"year" integer,
	"sequence" integer,
	"status" text NOT NULL,
	"enterprise_id" integer NOT NULL,
	"region_id" integer NOT NULL,
	"department_id" integer,
	"sector" text NOT NULL,
	"kind" text NOT NULL,
	"checklist_id" integer NOT NULL,
	"checklist_code" text NOT NULL,
	"checklist_name" text NOT NULL,
	"checklist_version" integer NOT NULL,
	"inspector_id" integer NOT NULL,
	"companion_ids" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"date" date NOT NULL,
	"findings" text,
	"pass_count" integer DEFAULT 0 NOT NULL,
	"fail_count" integer DEFAULT 0 NOT NULL,
	"fixed_on_site_count" integer DEFAULT 0 NOT NULL,
	"na_count" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"submitted_at" timestamp with time zone,
	"card_message_id" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "hazard_photos" ADD COLUMN "inspection_id" integer;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "source" text DEFAULT 'report' NOT NULL;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "inspection_id" integer;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "fixed_on_site" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "checklist_items" ADD CONSTRAINT "checklist_items_checklist_id_checklists_id_fk" FOREIGN KEY ("checklist_id") REFERENCES "public"."checklists"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspection_draws" ADD CONSTRAINT "inspection_draws_plan_id_inspection_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."inspection_plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspection_events" ADD CONSTRAINT "inspection_events_inspection_id_inspections_id_fk" FOREIGN KEY ("inspection_id") REFERENCES "public"."inspections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspection_events" ADD CONSTRAINT "inspection_events_actor_id_people_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspection_items" ADD CONSTRAINT "inspection_items_inspection_id_inspections_id_fk" FOREIGN KEY ("inspection_id") REFERENCES "public"."inspections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspections" ADD CONSTRAINT "inspections_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspections" ADD CONSTRAINT "inspections_region_id_regions_id_fk" FOREIGN KEY ("region_id") REFERENCES "public"."regions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspections" ADD CONSTRAINT "inspections_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspections" ADD CONSTRAINT "inspections_checklist_id_checklists_id_fk" FOREIGN KEY ("checklist_id") REFERENCES "public"."checklists"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspections" ADD CONSTRAINT "inspections_inspector_id_people_id_fk" FOREIGN KEY ("inspector_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "checklists_code_key" ON "checklists" USING btree ("code");--> statement-breakpoint
CREATE INDEX "checklists_sector_idx" ON "checklists" USING btree ("sector","active");--> statement-breakpoint
CREATE UNIQUE INDEX "inspection_draws_current_key" ON "inspection_draws" USING btree ("plan_id","period_start") WHERE "inspection_draws"."superseded_at" is null;--> statement-breakpoint
CREATE INDEX "inspection_events_inspection_idx" ON "inspection_events" USING btree ("inspection_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "inspection_plans_code_key" ON "inspection_plans" USING btree ("code");--> statement-breakpoint
CREATE UNIQUE INDEX "inspections_code_key" ON "inspections" USING btree ("code");--> statement-breakpoint
CREATE UNIQUE INDEX "inspections_year_sequence_key" ON "inspections" USING btree ("year","sequence");--> statement-breakpoint
CREATE INDEX "inspections_coverage_idx" ON "inspections" USING btree ("enterprise_id","date") WHERE "inspections"."status" = 'submitted' and "inspections"."kind" <> 'self';--> statement-breakpoint
CREATE INDEX "inspections_region_idx" ON "inspections" USING btree ("region_id","date") WHERE "inspections"."status" = 'submitted';--> statement-breakpoint
CREATE INDEX "inspections_department_idx" ON "inspections" USING btree ("department_id","date") WHERE "inspections"."status" = 'submitted';--> statement-breakpoint
CREATE INDEX "inspections_date_idx" ON "inspections" USING btree ("date") WHERE "inspections"."status" = 'submitted';--> statement-breakpoint
CREATE INDEX "inspections_inspector_open_idx" ON "inspections" USING btree ("inspector_id","started_at") WHERE "inspections"."status" = 'open';--> statement-breakpoint
ALTER TABLE "hazard_photos" ADD CONSTRAINT "hazard_photos_inspection_id_inspections_id_fk" FOREIGN KEY ("inspection_id") REFERENCES "public"."inspections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_inspection_id_inspections_id_fk" FOREIGN KEY ("inspection_id") REFERENCES "public"."inspections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "hazard_photos_inspection_idx" ON "hazard_photos" USING btree ("inspection_id");--> statement-breakpoint
CREATE INDEX "hazards_inspection_idx" ON "hazards" USING btree ("inspection_id");