ALTER TABLE "hazards" ADD COLUMN "suspension_proposed_by_id" integer;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "suspension_proposed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "resumption_requested_by_id" integer;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "resumption_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "listed_by_id" integer;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "listed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "listing_authority" text;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_suspension_proposed_by_id_people_id_fk" FOREIGN KEY ("suspension_proposed_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_resumption_requested_by_id_people_id_fk" FOREIGN KEY ("resumption_requested_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_listed_by_id_people_id_fk" FOREIGN KEY ("listed_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;