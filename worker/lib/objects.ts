/**
 * The Durable Objects Herald addresses by name: one sender per campaign, one limiter per inbox,
 * one simulated phone number per sandbox number.
 */

/** The campaign's sender: its frozen audience, pacing alarm and pause state. */
export const senderOf = (env: Env, campaignId: number) => env.CAMPAIGNS.getByName(String(campaignId));

/** The inbox's limiter: the number's throughput cap and messaging limit, shared by every send. */
export const limiterOf = (env: Env, inboxId: number) => env.INBOX_LIMITER.getByName(String(inboxId));

/** The simulated number behind a sandbox phone number id. */
export const sandboxOf = (env: Env, phoneNumberId: string) => env.SANDBOX.getByName(phoneNumberId);
