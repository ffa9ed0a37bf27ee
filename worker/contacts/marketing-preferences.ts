/**
 * Contacts' marketing preferences as WhatsApp reports them: a user stops or resumes a business's
 * marketing messages (a `user_preferences` webhook), and a marketing template refused with error
 * 131050 proves a stop. Each contact keeps the time of the latest preference applied; an event
 * older than that changes nothing (Meta does not keep order and retries for days), and a stop
 * wins over a resume with the same timestamp. A stop keeps the time of the first stop. This is
 * apart from `opted_out_at` (a STOP keyword or an operator): resuming marketing never lifts it.
 * Preferences of a number that is not a contact of the workspace create nothing.
 */

/** One preference: the contact's E.164 phone, or the wamid of a message Herald sent them from the inbox. */
export type MarketingPreference = ({ phone: string } | { wamid: string }) & { value: "stop" | "resume"; at: number };

/**
 * The statement that applies `preferences` to the workspace's contacts (a no-op for an empty list).
 * A wamid is looked up among the inbox's campaign sends and single messages.
 *
 * @example
 * await marketingPreferencesStatement(env.DB, 1, 2, [{ phone: "+5511987654321", value: "stop", at: 1767225600 }]).run();
 */
export function marketingPreferencesStatement(
  d1: D1Database,
  workspaceId: number,
  inboxId: number,
  preferences: readonly MarketingPreference[],
): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE contacts SET
         marketing_stopped_at = CASE WHEN p.value = 'stop' THEN coalesce(contacts.marketing_stopped_at, p.at) ELSE NULL END,
         marketing_preference_at = p.at,
         updated_at = unixepoch()
       FROM (
         SELECT phone, value, at, row_number() OVER (PARTITION BY phone ORDER BY at DESC, value = 'stop' DESC) AS n
         FROM (
           SELECT coalesce(
                    j.value ->> 'phone',
                    (SELECT s.phone FROM campaign_sends AS s WHERE s.inbox_id = ?2 AND s.wamid = j.value ->> 'wamid'),
                    (SELECT m.to_phone FROM messages AS m WHERE m.inbox_id = ?2 AND m.wamid = j.value ->> 'wamid')
                  ) AS phone,
                  j.value ->> 'value' AS value, j.value ->> 'at' AS at
           FROM json_each(?3) AS j
         )
         WHERE phone IS NOT NULL
       ) AS p
       WHERE p.n = 1 AND contacts.workspace_id = ?1 AND contacts.phone = p.phone
         AND (contacts.marketing_preference_at IS NULL OR contacts.marketing_preference_at < p.at
              OR (contacts.marketing_preference_at = p.at AND p.value = 'stop' AND contacts.marketing_stopped_at IS NULL))`,
    )
    .bind(workspaceId, inboxId, JSON.stringify(preferences));
}
