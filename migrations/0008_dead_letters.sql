CREATE TABLE `dead_letters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`queue` text NOT NULL,
	`message_id` text NOT NULL,
	`workspace_id` integer,
	`inbox_id` integer,
	`campaign_id` integer,
	`kind` text NOT NULL,
	`summary` text NOT NULL,
	`body` text NOT NULL,
	`body_truncated` integer DEFAULT false NOT NULL,
	`received_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dead_letters_queue_message_unique` ON `dead_letters` (`queue`,`message_id`);--> statement-breakpoint
CREATE INDEX `dead_letters_workspace_idx` ON `dead_letters` (`workspace_id`,`id`);
