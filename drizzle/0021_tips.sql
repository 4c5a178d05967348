CREATE TABLE "tip_cards" (
	"id" serial PRIMARY KEY NOT NULL,
	"tip_id" integer NOT NULL,
	"outbox_id" uuid NOT NULL,
	"recipient" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tip_counters" (
	"year" integer PRIMARY KEY NOT NULL,
	"last_sequence" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tip_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tip_id" integer NOT NULL,
	"type" text NOT NULL,
	"actor_id" integer,
	"at" timestamp with time zone NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tip_photos" (
	"id" serial PRIMARY KEY NOT NULL,
	"tip_id" integer NOT NULL,
	"position" integer NOT NULL,
	"content" "bytea" NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"sha256" text NOT NULL,
	"image_key" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tips" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"year" integer NOT NULL,
	"sequence" integer NOT NULL,
	"key_hash" text NOT NULL,
	"status" text NOT NULL,
	"what" text NOT NULL,
	"place" text NOT NULL,
	"region_id" integer,
	"enterprise_id" integer,
	"unit_text" text,
	"tipster_name" text,
	"tipster_phone" text,
	"tipster_ip" text,
	"decline_reason" text,
	"decline_detail" text,
	"unfounded_note" text,
	"hazard_id" integer,
	"answer" text,
	"answered_at" timestamp with time zone,
	"first_answered_at" timestamp with time zone,
	"accepted_by_id" integer,
	"accepted_at" timestamp with time zone,
	"decided_by_id" integer,
	"decided_at" timestamp with time zone,
	"received_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tip_cards" ADD CONSTRAINT "tip_cards_tip_id_tips_id_fk" FOREIGN KEY ("tip_id") REFERENCES "public"."tips"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tip_events" ADD CONSTRAINT "tip_events_tip_id_tips_id_fk" FOREIGN KEY ("tip_id") REFERENCES "public"."tips"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tip_events" ADD CONSTRAINT "tip_events_actor_id_people_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tip_photos" ADD CONSTRAINT "tip_photos_tip_id_tips_id_fk" FOREIGN KEY ("tip_id") REFERENCES "public"."tips"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tips" ADD CONSTRAINT "tips_region_id_regions_id_fk" FOREIGN KEY ("region_id") REFERENCES "public"."regions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tips" ADD CONSTRAINT "tips_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tips" ADD CONSTRAINT "tips_hazard_id_hazards_id_fk" FOREIGN KEY ("hazard_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tips" ADD CONSTRAINT "tips_accepted_by_id_people_id_fk" FOREIGN KEY ("accepted_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tips" ADD CONSTRAINT "tips_decided_by_id_people_id_fk" FOREIGN KEY ("decided_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tip_cards_tip_idx" ON "tip_cards" USING btree ("tip_id") WHERE "tip_cards"."active";--> statement-breakpoint
CREATE INDEX "tip_events_tip_idx" ON "tip_events" USING btree ("tip_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "tip_photos_tip_position_key" ON "tip_photos" USING btree ("tip_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "tips_code_key" ON "tips" USING btree ("code");--> statement-breakpoint
CREATE UNIQUE INDEX "tips_year_sequence_key" ON "tips" USING btree ("year","sequence");--> statement-breakpoint
CREATE UNIQUE INDEX "tips_hazard_key" ON "tips" USING btree ("hazard_id") WHERE "tips"."hazard_id" is not null;--> statement-breakpoint
CREATE INDEX "tips_region_idx" ON "tips" USING btree ("region_id","status");--> statement-breakpoint
CREATE INDEX "tips_received_at_idx" ON "tips" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "tips_unanswered_idx" ON "tips" USING btree ("received_at","id") WHERE "tips"."first_answered_at" is null;