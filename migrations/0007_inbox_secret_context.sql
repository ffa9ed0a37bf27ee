-- Which additional data an inbox's secrets are sealed with: 1 = workspace and field (rows stored
-- before this column existed), 2 = workspace, inbox and field. New rows are 2; the cron trigger
-- re-encrypts the 1s (a migration cannot run the cipher) and each write to a row does too.
ALTER TABLE `inboxes` ADD `secret_context` integer DEFAULT 2 NOT NULL;
--> statement-breakpoint
UPDATE `inboxes` SET `secret_context` = 1;
