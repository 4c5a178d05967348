CREATE TABLE "task_groups" (
	"hazard_id" integer PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"chat_id" text,
	"name" text NOT NULL,
	"card_outbox_id" uuid,
	"pinned_at" timestamp with time zone,
	"last_event_id" bigint DEFAULT 0 NOT NULL,
	"posted_steps" text[] DEFAULT '{}'::text[] NOT NULL,
	"closed_renamed_at" timestamp with time zone,
	"not_added" jsonb,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "task_groups" ADD CONSTRAINT "task_groups_hazard_id_hazards_id_fk" FOREIGN KEY ("hazard_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "task_groups_due_idx" ON "task_groups" USING btree ("next_attempt_at") WHERE "task_groups"."status" in ('pending', 'created', 'active');