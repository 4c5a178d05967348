CREATE TABLE "tip_reminder_steps" (
	"tip_id" integer NOT NULL,
	"step_key" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	"outbox_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"fallbacks" jsonb,
	"delivered" boolean DEFAULT true NOT NULL,
	CONSTRAINT "tip_reminder_steps_pkey" PRIMARY KEY("tip_id","step_key")
);
--> statement-breakpoint
ALTER TABLE "tips" ADD COLUMN "reward_amount" numeric(12, 2);--> statement-breakpoint
ALTER TABLE "tips" ADD COLUMN "reward_decided_on" date;--> statement-breakpoint
ALTER TABLE "tips" ADD COLUMN "reward_paid" boolean;--> statement-breakpoint
ALTER TABLE "tips" ADD COLUMN "reward_paid_on" date;--> statement-breakpoint
ALTER TABLE "tips" ADD COLUMN "reward_recorded_by_id" integer;--> statement-breakpoint
ALTER TABLE "tips" ADD COLUMN "reward_recorded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tip_reminder_steps" ADD CONSTRAINT "tip_reminder_steps_tip_id_tips_id_fk" FOREIGN KEY ("tip_id") REFERENCES "public"."tips"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tips" ADD CONSTRAINT "tips_reward_recorded_by_id_people_id_fk" FOREIGN KEY ("reward_recorded_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;