CREATE TABLE "governance_plans" (
	"id" serial PRIMARY KEY NOT NULL,
	"hazard_id" integer NOT NULL,
	"version" integer NOT NULL,
	"status" text NOT NULL,
	"parts" jsonb NOT NULL,
	"submitted_by_id" integer,
	"submitted_at" timestamp with time zone,
	"decided_by_id" integer,
	"decided_at" timestamp with time zone,
	"reason" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hazard_clocks" (
	"id" serial PRIMARY KEY NOT NULL,
	"hazard_id" integer NOT NULL,
	"kind" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"due" date NOT NULL,
	"stopped_at" timestamp with time zone,
	"stop_reason" text
);
--> statement-breakpoint
ALTER TABLE "governance_plans" ADD CONSTRAINT "governance_plans_hazard_id_hazards_id_fk" FOREIGN KEY ("hazard_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "governance_plans" ADD CONSTRAINT "governance_plans_submitted_by_id_people_id_fk" FOREIGN KEY ("submitted_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "governance_plans" ADD CONSTRAINT "governance_plans_decided_by_id_people_id_fk" FOREIGN KEY ("decided_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazard_clocks" ADD CONSTRAINT "hazard_clocks_hazard_id_hazards_id_fk" FOREIGN KEY ("hazard_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "governance_plans_version_key" ON "governance_plans" USING btree ("hazard_id","version");--> statement-breakpoint
CREATE INDEX "hazard_clocks_open_due_idx" ON "hazard_clocks" USING btree ("kind","due","hazard_id") WHERE "hazard_clocks"."stopped_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "hazard_clocks_open_key" ON "hazard_clocks" USING btree ("hazard_id","kind") WHERE "hazard_clocks"."stopped_at" is null;