-- The secret an inbox had before its latest change, kept for a grace period after the change so
-- that webhooks signed with the old app secret (and sends refused for the new access token) are
-- still accepted while Meta and Herald switch over. Sealed like the current ones.
ALTER TABLE `inboxes` ADD `previous_access_token_enc` text;
--> statement-breakpoint
ALTER TABLE `inboxes` ADD `access_token_rotated_at` integer;
--> statement-breakpoint
ALTER TABLE `inboxes` ADD `previous_app_secret_enc` text;
--> statement-breakpoint
ALTER TABLE `inboxes` ADD `app_secret_rotated_at` integer;
