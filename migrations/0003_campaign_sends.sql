CREATE TABLE `campaign_sends` (
	`inbox_id` integer NOT NULL,
	`wamid` text NOT NULL,
	`workspace_id` integer NOT NULL,
	`campaign_id` integer NOT NULL,
	`recipient_id` integer NOT NULL,
	`phone` text NOT NULL,
	`sent_at` integer NOT NULL,
	PRIMARY KEY(`inbox_id`, `wamid`),
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `campaign_sends_phone_idx` ON `campaign_sends` (`workspace_id`,`phone`,`sent_at`);