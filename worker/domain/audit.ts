/** What the audit trail records: who acted, on what, and which actions exist. */

export const ACTOR_TYPES = ["user", "token", "system"] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export const SUBJECT_TYPES = ["campaign", "inbox", "user", "token", "workspace"] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

export const AUDIT_ACTIONS = [
  "campaign.create",
  "campaign.update",
  "campaign.launch",
  "campaign.schedule",
  "campaign.unschedule",
  "campaign.pause",
  "campaign.resume",
  "campaign.cancel",
  "campaign.fail",
  "campaign.delete",
  "inbox.create",
  "inbox.update",
  "inbox.secret_change",
  "inbox.templates_sync",
  "inbox.delete",
  "user.create",
  "user.update",
  "user.role_change",
  "user.password_reset",
  "user.delete",
  "token.create",
  "token.revoke",
  "workspace.update",
  "workspace.rate_override",
  "workspace.rate_override_remove",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The subject type an action is about: the part before the dot. */
export const subjectOf = (action: AuditAction): SubjectType => action.slice(0, action.indexOf(".")) as SubjectType;

/** Inbox fields whose values are secrets: an edit names them, never their values. */
export const INBOX_SECRET_FIELDS = ["access_token", "app_secret", "verify_token"] as const;

/** The fields a change names (keys given, in a stable order), for `detail.fields`. */
export const changedFields = (input: Record<string, unknown>): string[] =>
  Object.keys(input)
    .filter((k) => input[k] !== undefined)
    .sort();
