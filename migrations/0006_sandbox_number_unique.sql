-- A sandbox number shared by inboxes of several workspaces is given to the oldest one; the
-- others get the same digits followed by their inbox id, so each keeps a simulated number of
-- its own (with a fresh request record and scenario).
UPDATE `inboxes` SET `phone_number_id` = `phone_number_id` || `id`
WHERE `provider` = 'sandbox'
  AND `id` NOT IN (SELECT min(`id`) FROM `inboxes` WHERE `provider` = 'sandbox' GROUP BY `phone_number_id`);
--> statement-breakpoint
CREATE UNIQUE INDEX `inboxes_sandbox_number_unique` ON `inboxes` (`phone_number_id`) WHERE provider = 'sandbox';
