-- Which roles of a step the bot could not reach and whom it told instead; whether anyone was told at all.
ALTER TABLE "reminder_steps" ADD COLUMN "fallbacks" jsonb;--> statement-breakpoint
ALTER TABLE "reminder_steps" ADD COLUMN "delivered" boolean DEFAULT true NOT NULL;