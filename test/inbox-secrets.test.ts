/**
 * Inbox credentials at rest: each secret is sealed for its workspace, inbox and field, so a
 * ciphertext copied to another row does not decrypt; rows sealed before inbox ids were bound are
 * still read, re-encrypted once by the cron trigger (or on their next write), and then only the
 * new context decrypts them.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../worker/db/client";
import { type Inbox, inboxes } from "../worker/db/schema";
import { inboxInput, insertInbox } from "../worker/inboxes/connect";
import { inboxSecrets, previousInboxSecrets, SECRET_GRACE_S } from "../worker/inboxes/secrets";
import worker from "../worker/index";
import { decryptSecret, encryptSecret } from "../worker/lib/crypto";
import { forgetWebhookAuth } from "../worker/webhooks/inbox-directory";
import { hmacKey, signBody } from "../worker/webhooks/signature";
import { type Account, call, callJson, seedWorkspace } from "./helpers";

const KEY = env.HERALD_ENCRYPTION_KEY;
const db = createDb(env.DB);
const row = async (id: number): Promise<Inbox> => (await db.select().from(inboxes).where(eq(inboxes.id, id)).get())!;
const cron = () => worker.scheduled!(createScheduledController({ cron: "* * * * *" }), env);

let seq = 0;
const cloudInbox = (admin: Account, token: string, secret: string) =>
  callJson<{ id: number }>("/api/inboxes", {
    json: {
      name: "Sales",
      provider: "cloud",
      phone_number_id: `20${Date.now() % 1e9}${seq++}`,
      waba_id: "419561257915477",
      access_token: token,
      app_secret: secret,
    },
    auth: admin,
  });

/** How secrets were sealed before the inbox id was part of their context: workspace and field only. */
const legacyContext = (workspaceId: number, field: "access_token" | "app_secret") => `herald:inbox:${workspaceId}:${field}`;

/** Rewrites an inbox's secrets as they were stored before inbox ids were bound. */
async function makeLegacy(id: number, workspaceId: number, token: string, secret: string) {
  await env.DB.prepare("UPDATE inboxes SET access_token_enc = ?, app_secret_enc = ?, secret_context = 1 WHERE id = ?")
    .bind(
      await encryptSecret(KEY, token, legacyContext(workspaceId, "access_token")),
      await encryptSecret(KEY, secret, legacyContext(workspaceId, "app_secret")),
      id,
    )
    .run();
}

describe("inbox secrets", () => {
  it("a ciphertext copied to another inbox of the same workspace does not decrypt", async () => {
    const admin = await seedWorkspace();
    const a = await cloudInbox(admin, "token-of-a", "secret-of-a");
    const b = await cloudInbox(admin, "token-of-b", "secret-of-b");
    expect(await inboxSecrets(env, await row(a.id))).toEqual({ accessToken: "token-of-a", appSecret: "secret-of-a" });
    const rowA = await row(a.id);
    await env.DB.prepare("UPDATE inboxes SET access_token_enc = ? WHERE id = ?").bind(rowA.accessTokenEnc, b.id).run();
    await expect(inboxSecrets(env, await row(b.id))).rejects.toThrow();
    // The same goes for a ciphertext sealed the old way: a re-encrypted row never reads one.
    await env.DB.prepare("UPDATE inboxes SET access_token_enc = ? WHERE id = ?")
      .bind(await encryptSecret(KEY, "token-of-a", legacyContext(admin.workspaceId, "access_token")), a.id)
      .run();
    await expect(inboxSecrets(env, await row(a.id))).rejects.toThrow();
  });

  it("a row sealed the old way is read, re-encrypted by the cron trigger once, and then the old context no longer decrypts it", async () => {
    const admin = await seedWorkspace();
    const inbox = await cloudInbox(admin, "token-before", "secret-before");
    await makeLegacy(inbox.id, admin.workspaceId, "token-before", "secret-before");
    const legacy = await row(inbox.id);
    expect(legacy.secretContext).toBe(1);
    expect(await inboxSecrets(env, legacy)).toEqual({ accessToken: "token-before", appSecret: "secret-before" });

    await cron();
    const resealed = await row(inbox.id);
    expect(resealed.secretContext).toBe(2);
    expect(resealed.accessTokenEnc).not.toBe(legacy.accessTokenEnc);
    expect(resealed.appSecretEnc).not.toBe(legacy.appSecretEnc);
    expect(await inboxSecrets(env, resealed)).toEqual({ accessToken: "token-before", appSecret: "secret-before" });
    await expect(decryptSecret(KEY, resealed.accessTokenEnc!, legacyContext(admin.workspaceId, "access_token"))).rejects.toThrow();
    await expect(decryptSecret(KEY, resealed.appSecretEnc!, legacyContext(admin.workspaceId, "app_secret"))).rejects.toThrow();

    // A second run finds nothing to do.
    await cron();
    expect(await row(inbox.id)).toEqual(resealed);
  });

  it("the cron trigger re-encrypts every old row, page after page, and keeps one it cannot read as it is", async () => {
    const admin = await seedWorkspace();
    const ids: number[] = [];
    for (let i = 0; i < 60; i++) {
      const inbox = await cloudInbox(admin, `token-${i}`, `secret-${i}`);
      await makeLegacy(inbox.id, admin.workspaceId, `token-${i}`, `secret-${i}`);
      ids.push(inbox.id);
    }
    // Sealed under another key: nobody can read it now, so it is left for a person to re-enter.
    const unreadable = ids[3]!;
    const otherKey = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
    await env.DB.prepare("UPDATE inboxes SET access_token_enc = ? WHERE id = ?")
      .bind(await encryptSecret(otherKey, "token-3", legacyContext(admin.workspaceId, "access_token")), unreadable)
      .run();
    const before = await row(unreadable);

    await cron();
    for (const [i, id] of ids.entries()) {
      if (id === unreadable) continue;
      const r = await row(id);
      expect(r.secretContext, `inbox ${i}`).toBe(2);
      expect(await inboxSecrets(env, r)).toEqual({ accessToken: `token-${i}`, appSecret: `secret-${i}` });
    }
    expect(await row(unreadable)).toEqual(before);
  });

  it("a change to an old row re-encrypts its secrets", async () => {
    const admin = await seedWorkspace();
    const inbox = await cloudInbox(admin, "token-kept", "secret-kept");
    await makeLegacy(inbox.id, admin.workspaceId, "token-kept", "secret-kept");
    await callJson(`/api/inboxes/${inbox.id}`, { method: "PATCH", json: { access_token: "token-new" }, auth: admin });
    const r = await row(inbox.id);
    expect(r.secretContext).toBe(2);
    expect(await inboxSecrets(env, r)).toEqual({ accessToken: "token-new", appSecret: "secret-kept" });
    await expect(decryptSecret(KEY, r.appSecretEnc!, legacyContext(admin.workspaceId, "app_secret"))).rejects.toThrow();
  });

  it("a sandbox inbox sealed the old way keeps working before and after the cron trigger", async () => {
    const admin = await seedWorkspace();
    const inbox = await callJson<{ id: number }>("/api/inboxes", { json: { name: "Sandbox", provider: "sandbox" }, auth: admin });
    const { accessToken, appSecret } = await inboxSecrets(env, await row(inbox.id));
    await makeLegacy(inbox.id, admin.workspaceId, accessToken!, appSecret!);
    expect(await callJson(`/api/inboxes/${inbox.id}/test`, { method: "POST", expect: 200, auth: admin })).toMatchObject({ ok: true });
    await cron();
    expect((await row(inbox.id)).secretContext).toBe(2);
    expect(await callJson(`/api/inboxes/${inbox.id}/test`, { method: "POST", expect: 200, auth: admin })).toMatchObject({ ok: true });
  });

  it("an inbox is not created when its secrets cannot be sealed", async () => {
    const admin = await seedWorkspace();
    const input = inboxInput.parse({ name: "No key", provider: "cloud", phone_number_id: "31415926", waba_id: "27182818", access_token: "t", app_secret: "s" });
    for (const key of ["", "c2hvcnQ="]) {
      await expect(insertInbox({ ...env, HERALD_ENCRYPTION_KEY: key }, db, admin.workspaceId, "http://localhost", input)).rejects.toMatchObject({
        code: "not_configured",
      });
    }
    const count = await env.DB.prepare("SELECT count(*) AS n FROM inboxes WHERE workspace_id = ?").bind(admin.workspaceId).first<{ n: number }>();
    expect(count!.n).toBe(0);
  });
});

describe("rotating an inbox's secrets", () => {
  const webhook = async (inboxId: number, secret: string) => {
    const body = JSON.stringify({ object: "whatsapp_business_account", entry: [] });
    return call(`/webhooks/whatsapp/${inboxId}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "x-hub-signature-256": await signBody(await hmacKey(secret), body) },
    });
  };
  const patch = (admin: Account, id: number, json: Record<string, unknown>) => callJson(`/api/inboxes/${id}`, { method: "PATCH", json, auth: admin });

  it("a webhook signed with the previous app secret is accepted during the grace period, not after it", async () => {
    const admin = await seedWorkspace();
    const inbox = await cloudInbox(admin, "token-1", "secret-1");
    expect((await webhook(inbox.id, "secret-1")).status).toBe(200);
    await patch(admin, inbox.id, { app_secret: "secret-2" });
    // Both are accepted while Meta and Herald switch over; nothing else is.
    expect((await webhook(inbox.id, "secret-2")).status).toBe(200);
    expect((await webhook(inbox.id, "secret-1")).status).toBe(200);
    expect((await webhook(inbox.id, "secret-0")).status).toBe(401);
    const rotated = await row(inbox.id);
    expect(rotated.appSecretRotatedAt).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(await previousInboxSecrets(env, rotated)).toEqual({ accessToken: null, appSecret: "secret-1" });
    // The stored value is sealed for this inbox like the current one, never in clear.
    expect(rotated.previousAppSecretEnc).not.toContain("secret-1");

    // Once the grace period is over, only the current secret is.
    await env.DB.prepare("UPDATE inboxes SET app_secret_rotated_at = app_secret_rotated_at - ? WHERE id = ?")
      .bind(SECRET_GRACE_S + 1, inbox.id)
      .run();
    forgetWebhookAuth(inbox.id);
    expect((await webhook(inbox.id, "secret-1")).status).toBe(401);
    expect((await webhook(inbox.id, "secret-2")).status).toBe(200);
  });

  it("keeps the access token it replaces for the grace period, and nothing when the value is the same or the host changes", async () => {
    const admin = await seedWorkspace();
    const inbox = await cloudInbox(admin, "token-1", "secret-1");
    await patch(admin, inbox.id, { access_token: "token-1" });
    expect((await row(inbox.id)).accessTokenRotatedAt).toBeNull();
    await patch(admin, inbox.id, { access_token: "token-2" });
    expect(await previousInboxSecrets(env, await row(inbox.id))).toEqual({ accessToken: "token-1", appSecret: null });
    expect(await inboxSecrets(env, await row(inbox.id))).toEqual({ accessToken: "token-2", appSecret: "secret-1" });
    // Another host gets new credentials and none of the old ones, previous included.
    await patch(admin, inbox.id, { api_base_url: "https://graph.herald.test", access_token: "token-3", app_secret: "secret-3" });
    const moved = await row(inbox.id);
    expect(moved.previousAccessTokenEnc).toBeNull();
    expect(moved.previousAppSecretEnc).toBeNull();
    expect(await previousInboxSecrets(env, moved)).toEqual({ accessToken: null, appSecret: null });
    // No secret, current or previous, is ever in an answer.
    const view = await callJson(`/api/inboxes/${inbox.id}`, { auth: admin });
    expect(JSON.stringify(view)).not.toMatch(/token-|secret-\d/);
  });
});
