import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { call } from "./helpers";

// First-run setup happens once per database, and each test file has its own.
it("first-run setup can load the demo workspace", async () => {
  const res = await call("/api/auth/setup", {
    json: { workspace_name: "Demo Co", name: "Dora", email: "dora@example.test", password: "demo password!", load_demo: true },
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as any;
  expect(body.demo).toMatchObject({ labels: 6, contacts_created: 300 });
  expect(body.demo.templates).toBeGreaterThanOrEqual(9);
  const inbox = await env.DB.prepare("SELECT provider, name FROM inboxes WHERE workspace_id = ?").bind(body.workspace.id).first();
  expect(inbox).toEqual({ provider: "sandbox", name: "Demo sandbox" });
});
