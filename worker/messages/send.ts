import { eq } from "drizzle-orm";
import { takeTurn } from "../campaigns/inbox-limiter";
import { type Db, nowSeconds } from "../db/client";
import { type Inbox, type Message, messages } from "../db/schema";
import type { ProviderError, SendOptions, TemplateMessage, WhatsAppProvider } from "../domain/provider";
import { recordRefusal } from "./refusals";

/** What one message says: free text, or a template with its values already placed. */
export type OneMessage = { kind: "text"; body: string; previewUrl?: boolean } | { kind: "template"; name: string; message: Omit<TemplateMessage, "to"> };

export type OneSend = {
  workspaceId: number;
  userId: number;
  inbox: Pick<Inbox, "id" | "throughputCap" | "messagingLimitTier">;
  /** Resolved before anything is written, so a provider that cannot be set up leaves no row. */
  provider: WhatsAppProvider;
  to: string;
  contact: { id: number; lastInboundAt: number | null } | null;
  message: OneMessage;
  /** What the message row keeps as its content (JSON). */
  stored: unknown;
  /** Callback data for the send; by default `herald:m:<message id>`. */
  callback?: string;
  replyTo?: string;
};

/**
 * Sends one message outside any campaign, the one way Herald does it: a turn from the number's
 * limiter (throughput and messaging limit; an ApiError when there is none), the message row
 * written as `sending` before the call, then the call, then the row's outcome (`accepted`, or
 * `failed`, or `unknown` when the request may have reached WhatsApp without an answer).
 */
export async function sendOneMessage(db: Db, env: Env, send: OneSend): Promise<{ message: Message; error: ProviderError | null }> {
  await takeTurn(env, send.inbox, send.to, send.contact?.lastInboundAt ?? null);
  const row = (await db
    .insert(messages)
    .values({
      workspaceId: send.workspaceId,
      inboxId: send.inbox.id,
      contactId: send.contact?.id ?? null,
      toPhone: send.to,
      kind: send.message.kind,
      templateName: send.message.kind === "template" ? send.message.name : null,
      content: JSON.stringify(send.stored),
      status: "sending",
      createdBy: send.userId,
    })
    .returning()
    .get())!;
  const callbackData = send.callback ?? `herald:m:${row.id}`;
  const common: SendOptions = { to: send.to, bizOpaqueCallbackData: callbackData, ...(send.replyTo ? { replyTo: send.replyTo } : {}) };
  const result =
    send.message.kind === "text"
      ? await send.provider.sendText({
          ...common,
          body: send.message.body,
          ...(send.message.previewUrl === undefined ? {} : { previewUrl: send.message.previewUrl }),
        })
      : await send.provider.sendTemplate({ ...common, ...send.message.message });
  const message = (await db
    .update(messages)
    .set(
      result.ok
        ? { wamid: result.value.wamid, status: "accepted", updatedAt: nowSeconds() }
        : {
            status: result.error.policy === "unknown" ? "unknown" : "failed",
            errorCode: result.error.code ?? null,
            errorTitle: result.error.title,
            updatedAt: nowSeconds(),
          },
    )
    .where(eq(messages.id, row.id))
    .returning()
    .get())!;
  if (!result.ok) await recordRefusal(env.DB, { workspaceId: send.workspaceId, inboxId: send.inbox.id, to: send.to, callbackData }, result.error);
  return { message, error: result.ok ? null : result.error };
}
