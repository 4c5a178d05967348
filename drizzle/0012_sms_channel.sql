CREATE TABLE "sms_budget_days" (
	"day" date PRIMARY KEY NOT NULL,
	"used" integer NOT NULL,
	"refused" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "sms_budget_day" date;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "sms_unconfirmed_since" timestamp with time zone;