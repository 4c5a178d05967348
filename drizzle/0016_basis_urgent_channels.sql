CREATE TABLE "urgent_budget_days" (
	"day" date NOT NULL,
	"channel" text NOT NULL,
	"used" integer NOT NULL,
	"refused" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "urgent_budget_days_day_channel_pk" PRIMARY KEY("day","channel")
);
--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "urgent_extra" jsonb;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "basis_code" text;--> statement-breakpoint
-- hand-written: a clause cited before the pick list was free text, i.e. 其他.
UPDATE "hazards" SET "basis_code" = 'other' WHERE "basis" IS NOT NULL;
