import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Unix seconds, filled by SQLite when the row is written. */
const createdAt = () => integer("created_at").notNull().default(sql`(unixepoch())`);
const updatedAt = () => integer("updated_at").notNull().default(sql`(unixepoch())`);

/** The owning workspace: every row belongs to one, and goes with it. */
const workspaceId = () =>
  integer("workspace_id")
    .notNull()
    .references(() => workspaces.id, { onDelete: "cascade" });

export const workspaces = sqliteTable("workspaces", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  /** ISO 3166-1 alpha-2 country used to read phone numbers written without a country code. */
  defaultCountry: text("default_country").notNull().default("BR"),
  /** JSON array: an inbound message equal to one of these (ignoring case and accents) opts the contact out. */
  optOutKeywords: text("opt_out_keywords").notNull().default('["STOP","PARAR","SAIR","CANCELAR","UNSUBSCRIBE"]'),
  /** Hours after a campaign message during which any message from its recipient counts as a reply. */
  attributionWindowHours: integer("attribution_window_hours").notNull().default(72),
  /**
   * Frequency cap: a launch skips contacts who already received this many campaign messages within
   * the last `frequency_cap_days` days (across every campaign and inbox). Null: no cap.
   */
  frequencyCapMessages: integer("frequency_cap_messages"),
  frequencyCapDays: integer("frequency_cap_days").notNull().default(7),
  createdAt: createdAt(),
});

export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: workspaceId(),
    email: text("email").notNull(),
    name: text("name").notNull().default(""),
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: ["admin", "operator"] }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("users_email_unique").on(t.email), index("users_workspace_idx").on(t.workspaceId)],
);

export const sessions = sqliteTable(
  "sessions",
  {
    /** SHA-256 of the opaque id held in the cookie; the id itself is never stored. */
    idHash: text("id_hash").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    workspaceId: workspaceId(),
    expiresAt: integer("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("sessions_user_idx").on(t.userId), index("sessions_expires_idx").on(t.expiresAt)],
);

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: workspaceId(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** First characters of the token, shown in lists so people can tell tokens apart. */
    prefix: text("prefix").notNull(),
    tokenHash: text("token_hash").notNull(),
    lastUsedAt: integer("last_used_at"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("api_tokens_hash_unique").on(t.tokenHash), index("api_tokens_workspace_idx").on(t.workspaceId)],
);

/** Failed logins per key (email and client address), for throttling. */
export const loginAttempts = sqliteTable("login_attempts", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull().default(0),
  windowStartedAt: integer("window_started_at").notNull(),
  lockedUntil: integer("locked_until"),
});

export const labels = sqliteTable(
  "labels",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: workspaceId(),
    name: text("name").notNull(),
    color: text("color").notNull().default("#64748b"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("labels_workspace_name_unique").on(t.workspaceId, sql`${t.name} COLLATE NOCASE`)],
);

export const contacts = sqliteTable(
  "contacts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: workspaceId(),
    name: text("name").notNull().default(""),
    /** E.164, e.g. +5511987654321. */
    phone: text("phone").notNull(),
    /** JSON object of custom attributes (string values), usable as template variables. */
    attributes: text("attributes").notNull().default("{}"),
    optedOutAt: integer("opted_out_at"),
    /**
     * When the contact stopped marketing messages at WhatsApp (a user_preferences webhook, or error
     * 131050 on a send); null: marketing templates may reach them. Unlike `opted_out_at`, other
     * messages still do.
     */
    marketingStoppedAt: integer("marketing_stopped_at"),
    /** Time of the latest marketing preference applied (stop or resume): an older event changes nothing. */
    marketingPreferenceAt: integer("marketing_preference_at"),
    /** Last inbound WhatsApp message: opens the 24 h service window. */
    lastInboundAt: integer("last_inbound_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("contacts_workspace_phone_unique").on(t.workspaceId, t.phone),
    // Rows of one workspace in id order: the contact list pages newest first on it.
    index("contacts_workspace_idx").on(t.workspaceId),
    index("contacts_workspace_name_idx").on(t.workspaceId, t.name),
  ],
);

export const contactLabels = sqliteTable(
  "contact_labels",
  {
    contactId: integer("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    labelId: integer("label_id")
      .notNull()
      .references(() => labels.id, { onDelete: "cascade" }),
    workspaceId: workspaceId(),
  },
  (t) => [primaryKey({ columns: [t.contactId, t.labelId] }), index("contact_labels_label_idx").on(t.labelId, t.contactId)],
);

export const inboxes = sqliteTable(
  "inboxes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: workspaceId(),
    name: text("name").notNull(),
    provider: text("provider", { enum: ["cloud", "sandbox"] }).notNull(),
    phoneNumberId: text("phone_number_id").notNull(),
    wabaId: text("waba_id").notNull(),
    displayPhone: text("display_phone").notNull().default(""),
    /** AES-GCM ciphertext; never returned by the API. */
    accessTokenEnc: text("access_token_enc"),
    /** AES-GCM ciphertext; never returned by the API. */
    appSecretEnc: text("app_secret_enc"),
    /** The access token before the latest change (sealed as the current one), accepted until the grace period after `accessTokenRotatedAt` ends. */
    previousAccessTokenEnc: text("previous_access_token_enc"),
    accessTokenRotatedAt: integer("access_token_rotated_at"),
    /** The app secret before the latest change (sealed as the current one), accepted until the grace period after `appSecretRotatedAt` ends. */
    previousAppSecretEnc: text("previous_app_secret_enc"),
    appSecretRotatedAt: integer("app_secret_rotated_at"),
    /**
     * The additional data both secrets are sealed with: 1 = workspace and field (rows from before
     * inbox ids were bound, re-encrypted by the cron trigger), 2 = workspace, inbox and field.
     */
    secretContext: integer("secret_context").notNull().default(2),
    verifyToken: text("verify_token").notNull(),
    apiBaseUrl: text("api_base_url").notNull(),
    apiVersion: text("api_version").notNull().default("v23.0"),
    /** Messages per second this number may send. */
    throughputCap: integer("throughput_cap").notNull().default(80),
    /** Unique users outside the service window per rolling 24 h: 250, 2000, 10000, 100000 or unlimited. */
    messagingLimitTier: text("messaging_limit_tier").notNull().default("250"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("inboxes_workspace_idx").on(t.workspaceId),
    uniqueIndex("inboxes_workspace_phone_number_unique").on(t.workspaceId, t.phoneNumberId),
    // One simulated number is one sandbox Durable Object, with its request record and scenario:
    // like a real number at WhatsApp, it belongs to one inbox, whatever the workspace.
    uniqueIndex("inboxes_sandbox_number_unique").on(t.phoneNumberId).where(sql`provider = 'sandbox'`),
  ],
);

/** Templates synced from an inbox's WhatsApp Business Account. */
export const templates = sqliteTable(
  "templates",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: workspaceId(),
    inboxId: integer("inbox_id")
      .notNull()
      .references(() => inboxes.id, { onDelete: "cascade" }),
    metaId: text("meta_id").notNull(),
    name: text("name").notNull(),
    language: text("language").notNull(),
    status: text("status").notNull(),
    category: text("category").notNull(),
    parameterFormat: text("parameter_format", { enum: ["positional", "named"] }).notNull(),
    /** Meta's components, as JSON. */
    components: text("components").notNull(),
    /** The variables parsed from the components, as JSON (see domain/templates.ts). */
    variables: text("variables").notNull(),
    syncedAt: integer("synced_at").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("templates_inbox_name_language_unique").on(t.inboxId, t.name, t.language), index("templates_workspace_idx").on(t.workspaceId)],
);

/** Messages Herald sent outside campaigns (single sends and campaign test sends). */
export const messages = sqliteTable(
  "messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: workspaceId(),
    inboxId: integer("inbox_id")
      .notNull()
      .references(() => inboxes.id, { onDelete: "cascade" }),
    contactId: integer("contact_id").references(() => contacts.id, { onDelete: "set null" }),
    toPhone: text("to_phone").notNull(),
    kind: text("kind", { enum: ["text", "template"] }).notNull(),
    templateName: text("template_name"),
    /** What was sent, as JSON (the provider request's content, without credentials). */
    content: text("content").notNull(),
    wamid: text("wamid"),
    /** accepted → sent → delivered → read; failed. Moves forward only. */
    status: text("status").notNull(),
    errorCode: integer("error_code"),
    errorTitle: text("error_title"),
    createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("messages_inbox_wamid_unique").on(t.inboxId, t.wamid), index("messages_workspace_idx").on(t.workspaceId, t.id)],
);

/**
 * Status webhooks as received, one row per (message, status): duplicates are absorbed by the key.
 * A campaign send WhatsApp refused at once for a marketing reason (131049, 131050) is kept here
 * too, as a `failed` row whose `wamid` is the send's callback data (a refused send has none), so
 * refusals are counted in one place.
 */
export const messageEvents = sqliteTable(
  "message_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: workspaceId(),
    inboxId: integer("inbox_id")
      .notNull()
      .references(() => inboxes.id, { onDelete: "cascade" }),
    wamid: text("wamid").notNull(),
    status: text("status").notNull(),
    /** Meta's timestamp (unix seconds). */
    occurredAt: integer("occurred_at").notNull(),
    recipientId: text("recipient_id"),
    bizOpaqueCallbackData: text("biz_opaque_callback_data"),
    errorCode: integer("error_code"),
    errorTitle: text("error_title"),
    errorDetails: text("error_details"),
    /** Conversation and pricing objects, as JSON. */
    billing: text("billing"),
    receivedAt: integer("received_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [
    uniqueIndex("message_events_inbox_wamid_status_unique").on(t.inboxId, t.wamid, t.status),
    // Refusals by error code over a period (e.g. 131049 in the last 30 days), per workspace.
    index("message_events_error_idx").on(t.workspaceId, t.errorCode, t.occurredAt).where(sql`error_code IS NOT NULL`),
  ],
);

/** Inbound WhatsApp messages (replies, opt-outs, conversations started by contacts). */
export const inboundMessages = sqliteTable(
  "inbound_messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: workspaceId(),
    inboxId: integer("inbox_id")
      .notNull()
      .references(() => inboxes.id, { onDelete: "cascade" }),
    contactId: integer("contact_id").references(() => contacts.id, { onDelete: "set null" }),
    wamid: text("wamid").notNull(),
    fromPhone: text("from_phone").notNull(),
    type: text("type").notNull(),
    /** Text body, button text or interactive reply title. */
    text: text("text"),
    /** Quick-reply button payload or interactive reply id. */
    payload: text("payload"),
    /** wamid of the message this one replies to. */
    contextWamid: text("context_wamid"),
    optOut: integer("opt_out", { mode: "boolean" }).notNull().default(false),
    occurredAt: integer("occurred_at").notNull(),
    receivedAt: integer("received_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [
    uniqueIndex("inbound_messages_inbox_wamid_unique").on(t.inboxId, t.wamid),
    index("inbound_messages_context_idx").on(t.contextWamid),
    index("inbound_messages_contact_idx").on(t.contactId, t.occurredAt),
  ],
);

/**
 * A WhatsApp campaign. Its recipients, pacing and pause state live in the campaign's Durable
 * Object; this row is the catalog entry (definition, status, a snapshot of the counters).
 */
export const campaigns = sqliteTable(
  "campaigns",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: workspaceId(),
    // No cascade: an inbox with campaigns cannot be deleted.
    inboxId: integer("inbox_id")
      .notNull()
      .references(() => inboxes.id),
    title: text("title").notNull(),
    status: text("status", { enum: ["draft", "scheduled", "sending", "paused", "completed", "failed", "cancelled"] }).notNull(),
    /** Why the campaign paused or failed, for the operator. */
    statusReason: text("status_reason"),
    /** JSON: labels, match, exclude_labels. */
    audience: text("audience").notNull(),
    /** JSON: template with value sources, or text variants. */
    content: text("content").notNull(),
    /** JSON: pacing and auto-pause settings. */
    settings: text("settings").notNull(),
    /** When a scheduled campaign starts (unix seconds, UTC), and the time zone it was entered in. */
    scheduledAt: integer("scheduled_at"),
    timezone: text("timezone"),
    /** JSON snapshot of the progress counters, refreshed by the campaign's Durable Object. */
    counters: text("counters").notNull().default("{}"),
    launchedAt: integer("launched_at"),
    completedAt: integer("completed_at"),
    createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("campaigns_workspace_idx").on(t.workspaceId, t.id), index("campaigns_status_idx").on(t.status, t.scheduledAt)],
);

/**
 * Which campaign recipient each sent WhatsApp message belongs to, copied from the campaigns'
 * Durable Objects in batches: webhooks find the campaign of a status without callback data, and
 * replies find the message they answer (by context wamid, or by phone within the attribution window).
 */
export const campaignSends = sqliteTable(
  "campaign_sends",
  {
    inboxId: integer("inbox_id").notNull(),
    wamid: text("wamid").notNull(),
    workspaceId: integer("workspace_id").notNull(),
    campaignId: integer("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    recipientId: integer("recipient_id").notNull(),
    phone: text("phone").notNull(),
    /** Unix seconds. */
    sentAt: integer("sent_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.inboxId, t.wamid] }), index("campaign_sends_phone_idx").on(t.workspaceId, t.phone, t.sentAt)],
);

/**
 * Queue messages Cloudflare Queues gave up on (moved to a dead-letter queue after their retries),
 * recorded by the dead-letter consumer. `workspace_id` is null when the message names no
 * workspace that still exists: such rows are kept but shown to no workspace.
 */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** The dead-letter queue it arrived on. */
    queue: text("queue").notNull(),
    /** The queue message's id: a message delivered twice is recorded once. */
    messageId: text("message_id").notNull(),
    workspaceId: integer("workspace_id").references(() => workspaces.id, { onDelete: "cascade" }),
    /** The inbox and campaign the message was about, when it names them (they may be gone since). */
    inboxId: integer("inbox_id"),
    campaignId: integer("campaign_id"),
    kind: text("kind", { enum: ["webhook", "release", "report", "unknown"] }).notNull(),
    summary: text("summary").notNull(),
    /** The message body as JSON, cut at DEAD_LETTER_BODY_MAX characters. */
    body: text("body").notNull(),
    bodyTruncated: integer("body_truncated", { mode: "boolean" }).notNull().default(false),
    receivedAt: integer("received_at").notNull().default(sql`(unixepoch())`),
  },
  (t) => [uniqueIndex("dead_letters_queue_message_unique").on(t.queue, t.messageId), index("dead_letters_workspace_idx").on(t.workspaceId, t.id)],
);

/**
 * A workspace's own rate for one country and template category, replacing the shipped rate card's
 * (domain/rate-card.ts) in every estimate and cost of the workspace.
 */
export const rateOverrides = sqliteTable(
  "rate_overrides",
  {
    workspaceId: workspaceId(),
    /** ISO 3166-1 alpha-2. */
    country: text("country").notNull(),
    category: text("category", { enum: ["marketing", "utility", "authentication"] }).notNull(),
    /** US dollars per delivered message, in micro-dollars (1 USD = 1,000,000). */
    rate: integer("rate").notNull(),
    updatedBy: integer("updated_by").references(() => users.id, { onDelete: "set null" }),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.country, t.category] })],
);

/**
 * Who changed what, and when: one row per change to a campaign, an inbox, a user, an API token or
 * the workspace's settings, and per automatic pause or failure of a campaign. Actors and subjects
 * are plain ids (no foreign key), so the trail outlives the users, tokens and rows it names.
 * `detail` is JSON naming what changed; it never holds a secret or a token's value.
 */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    workspaceId: workspaceId(),
    /** Unix seconds. */
    at: integer("at").notNull().default(sql`(unixepoch())`),
    actorType: text("actor_type", { enum: ["user", "token", "system"] }).notNull(),
    actorUserId: integer("actor_user_id"),
    actorTokenId: integer("actor_token_id"),
    /** `<subject type>.<verb>`, e.g. campaign.launch. */
    action: text("action").notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: integer("subject_id"),
    detail: text("detail").notNull().default("{}"),
  },
  (t) => [
    index("audit_events_workspace_idx").on(t.workspaceId, t.id),
    index("audit_events_subject_idx").on(t.workspaceId, t.subjectType, t.subjectId, t.id),
    index("audit_events_action_idx").on(t.workspaceId, t.action, t.id),
    index("audit_events_actor_idx").on(t.workspaceId, t.actorUserId, t.id),
    index("audit_events_at_idx").on(t.workspaceId, t.at),
  ],
);

export type Workspace = typeof workspaces.$inferSelect;
export type User = typeof users.$inferSelect;
export type Label = typeof labels.$inferSelect;
export type Contact = typeof contacts.$inferSelect;
export type Inbox = typeof inboxes.$inferSelect;
export type Template = typeof templates.$inferSelect;
export type Message = typeof messages.$inferSelect;
export type Campaign = typeof campaigns.$inferSelect;
export type AuditEvent = typeof auditEvents.$inferSelect;
