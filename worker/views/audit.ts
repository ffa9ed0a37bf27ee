import { z } from "zod";
import { ACTOR_TYPES, AUDIT_ACTIONS, SUBJECT_TYPES } from "../domain/audit";

/** Who acted: the user and token are described while they still exist (null once removed). */
export const auditActorView = z.object({
  type: z.enum(ACTOR_TYPES).describe("user: a signed-in session; token: an API token; system: Herald itself"),
  user_id: z.number().nullable(),
  user_name: z.string().nullable(),
  user_email: z.string().nullable(),
  token_id: z.number().nullable(),
  token_name: z.string().nullable(),
});

/** One recorded change. `detail` names what changed (fields, reason); it never holds a secret. */
export const auditEventView = z.object({
  id: z.number(),
  at: z.string().describe("ISO 8601"),
  action: z.enum(AUDIT_ACTIONS),
  subject_type: z.enum(SUBJECT_TYPES),
  subject_id: z.number().nullable(),
  actor: auditActorView,
  detail: z.record(z.string(), z.unknown()),
});

export const auditPageView = z.object({ data: z.array(auditEventView), next_cursor: z.string().nullable() });

export type AuditEventView = z.infer<typeof auditEventView>;
export type AuditPageView = z.infer<typeof auditPageView>;
