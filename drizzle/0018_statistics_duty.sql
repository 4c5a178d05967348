CREATE TABLE "statistics_confirmations" (
	"id" serial PRIMARY KEY NOT NULL,
	"enterprise_id" integer NOT NULL,
	"period" text NOT NULL,
	"principal_id" integer,
	"channel" text NOT NULL,
	"outbox_id" uuid,
	"figures" jsonb NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	"reminded_at" timestamp with time zone,
	"confirmed_at" timestamp with time zone,
	"confirmed_by_id" integer
);
--> statement-breakpoint
ALTER TABLE "statistics_confirmations" ADD CONSTRAINT "statistics_confirmations_enterprise_id_enterprises_id_fk" FOREIGN KEY ("enterprise_id") REFERENCES "public"."enterprises"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statistics_confirmations" ADD CONSTRAINT "statistics_confirmations_principal_id_people_id_fk" FOREIGN KEY ("principal_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statistics_confirmations" ADD CONSTRAINT "statistics_confirmations_confirmed_by_id_people_id_fk" FOREIGN KEY ("confirmed_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "statistics_confirmations_key" ON "statistics_confirmations" USING btree ("enterprise_id","period");--> statement-breakpoint
CREATE INDEX "statistics_confirmations_period_idx" ON "statistics_confirmations" USING btree ("period");