CREATE TABLE `inbound_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` integer NOT NULL,
	`inbox_id` integer NOT NULL,
	`contact_id` integer,
	`wamid` text NOT NULL,
	`from_phone` text NOT NULL,
	`type` text NOT NULL,
	`text` text,
	`payload` text,
	`context_wamid` text,
	`opt_out` integer DEFAULT false NOT NULL,
	`occurred_at` integer NOT NULL,
	`received_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`inbox_id`) REFERENCES `inboxes`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inbound_messages_inbox_wamid_unique` ON `inbound_messages` (`inbox_id`,`wamid`);--> statement-breakpoint
CREATE INDEX `inbound_messages_context_idx` ON `inbound_messages` (`context_wamid`);--> statement-breakpoint
CREATE INDEX `inbound_messages_contact_idx` ON `inbound_messages` (`contact_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `message_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` integer NOT NULL,
	`inbox_id` integer NOT NULL,
	`wamid` text NOT NULL,
	`status` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`recipient_id` text,
	`biz_opaque_callback_data` text,
	`error_code` integer,
	`error_title` text,
	`error_details` text,
	`billing` text,
	`received_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`inbox_id`) REFERENCES `inboxes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `message_events_inbox_wamid_status_unique` ON `message_events` (`inbox_id`,`wamid`,`status`);--> statement-breakpoint
CREATE INDEX `message_events_callback_idx` ON `message_events` (`biz_opaque_callback_data`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` integer NOT NULL,
	`inbox_id` integer NOT NULL,
	`contact_id` integer,
	`to_phone` text NOT NULL,
	`kind` text NOT NULL,
	`template_name` text,
	`content` text NOT NULL,
	`wamid` text,
	`status` text NOT NULL,
	`error_code` integer,
	`error_title` text,
	`created_by` integer,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`inbox_id`) REFERENCES `inboxes`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_inbox_wamid_unique` ON `messages` (`inbox_id`,`wamid`);--> statement-breakpoint
CREATE INDEX `messages_workspace_idx` ON `messages` (`workspace_id`,`id`);--> statement-breakpoint
CREATE TABLE `templates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`workspace_id` integer NOT NULL,
	`inbox_id` integer NOT NULL,
	`meta_id` text NOT NULL,
	`name` text NOT NULL,
	`language` text NOT NULL,
	`status` text NOT NULL,
	`category` text NOT NULL,
	`parameter_format` text NOT NULL,
	`components` text NOT NULL,
	`variables` text NOT NULL,
	`synced_at` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch()) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch()) NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`inbox_id`) REFERENCES `inboxes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `templates_inbox_name_language_unique` ON `templates` (`inbox_id`,`name`,`language`);--> statement-breakpoint
CREATE INDEX `templates_workspace_idx` ON `templates` (`workspace_id`);--> statement-breakpoint
ALTER TABLE `workspaces` ADD `opt_out_keywords` text DEFAULT '["STOP","PARAR","SAIR","CANCELAR","UNSUBSCRIBE"]' NOT NULL;