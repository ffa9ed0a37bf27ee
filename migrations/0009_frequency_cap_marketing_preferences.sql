ALTER TABLE `workspaces` ADD `frequency_cap_messages` integer;--> statement-breakpoint
ALTER TABLE `workspaces` ADD `frequency_cap_days` integer DEFAULT 7 NOT NULL;--> statement-breakpoint
ALTER TABLE `contacts` ADD `marketing_stopped_at` integer;--> statement-breakpoint
ALTER TABLE `contacts` ADD `marketing_preference_at` integer;--> statement-breakpoint
CREATE INDEX `message_events_error_idx` ON `message_events` (`workspace_id`,`error_code`,`occurred_at`) WHERE error_code IS NOT NULL;
