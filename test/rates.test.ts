import { describe, expect, it } from "vitest";
import { call, callJson, errorCode, seedOperator, seedWorkspace } from "./helpers";

type Card = {
  currency: string;
  effective_date: string;
  source: string;
  categories: string[];
  markets: { name: string; countries: string[] | null; rates: Record<string, string> }[];
  countries: { country: string; market: string; rates: Record<string, string>; overridden: string[] }[];
  overrides: { country: string; category: string; rate: string; card_rate: string; updated_at: string | null }[];
};

const put = (auth: { cookie?: string }, json: unknown) => call("/api/rates/overrides", { method: "PUT", json, auth });
const countryOf = (card: Card, country: string) => card.countries.find((c) => c.country === country)!;

/** The 400's message and the paths its details name. */
async function refusal(res: Response) {
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { code: string; message: string; details: { path: string; message: string }[] } };
  expect(body.error.code).toBe("validation_failed");
  return { message: body.error.message, paths: body.error.details.map((d) => d.path) };
}

describe("the rate card and its overrides", () => {
  it("shows the shipped card with its effective date and source, and every country's rates", async () => {
    const admin = await seedWorkspace();
    const card = await callJson<Card>("/api/rates", { auth: admin });
    expect(card).toMatchObject({ currency: "USD", effective_date: "2026-01-01", categories: ["marketing", "utility", "authentication"] });
    expect(card.source).toContain("developers.facebook.com/docs/whatsapp/pricing");
    expect(card.markets.find((m) => m.name === "Brazil")).toEqual({
      name: "Brazil",
      countries: ["BR"],
      rates: { marketing: "0.0625", utility: "0.0068", authentication: "0.0068" },
    });
    expect(countryOf(card, "BO")).toEqual({
      country: "BO",
      market: "Rest of Latin America",
      rates: { marketing: "0.074", utility: "0.0113", authentication: "0.0113" },
      overridden: [],
    });
    expect(countryOf(card, "KR").market).toBe("Other");
    expect(card.countries.length).toBeGreaterThan(200);
    expect(card.overrides).toEqual([]);
  });

  it("an admin's override wins for its country and category, and can be changed and removed", async () => {
    const admin = await seedWorkspace();
    const created = await callJson("/api/rates/overrides", {
      method: "PUT",
      json: { country: "br", category: "marketing", rate: "0.07" },
      expect: 200,
      auth: admin,
    });
    expect(created).toMatchObject({ country: "BR", category: "marketing", rate: "0.07", card_rate: "0.0625", updated_at: expect.any(String) });
    // A JSON number written the same way is read exactly too; a second PUT replaces the first.
    await callJson("/api/rates/overrides", { method: "PUT", json: { country: "BR", category: "marketing", rate: 0.0712 }, expect: 200, auth: admin });
    let card = await callJson<Card>("/api/rates", { auth: admin });
    expect(countryOf(card, "BR")).toMatchObject({ rates: { marketing: "0.0712", utility: "0.0068" }, overridden: ["marketing"] });
    expect(card.overrides).toEqual([expect.objectContaining({ country: "BR", category: "marketing", rate: "0.0712" })]);
    // Zero is a rate like any other.
    await callJson("/api/rates/overrides", { method: "PUT", json: { country: "AR", category: "utility", rate: "0" }, expect: 200, auth: admin });
    card = await callJson<Card>("/api/rates", { auth: admin });
    expect(countryOf(card, "AR").rates.utility).toBe("0.00");

    expect((await call("/api/rates/overrides?country=BR&category=marketing", { method: "DELETE", auth: admin })).status).toBe(204);
    card = await callJson<Card>("/api/rates", { auth: admin });
    expect(countryOf(card, "BR")).toMatchObject({ rates: { marketing: "0.0625" }, overridden: [] });
    const again = await call("/api/rates/overrides?country=BR&category=marketing", { method: "DELETE", auth: admin });
    expect(again.status).toBe(404);
    expect(await errorCode(again)).toBe("not_found");
  });

  it("refuses bad input with a 400 naming the field, and writes nothing", async () => {
    const admin = await seedWorkspace();
    const cases: [unknown, string][] = [
      [{ country: "XX", category: "marketing", rate: "0.05" }, "country"],
      [{ country: "Brazil", category: "marketing", rate: "0.05" }, "country"],
      [{ country: "BR", category: "service", rate: "0.05" }, "category"],
      [{ country: "BR", category: "marketing", rate: "-0.01" }, "rate"],
      [{ country: "BR", category: "marketing", rate: "0.0000001" }, "rate"],
      [{ country: "BR", category: "marketing", rate: 1e-7 }, "rate"],
      [{ country: "BR", category: "marketing", rate: "10.000001" }, "rate"],
      [{ country: "BR", category: "marketing", rate: "0,05" }, "rate"],
      [{ country: "BR", category: "marketing", rate: true }, "rate"],
      [{ country: "BR", category: "marketing" }, "rate"],
      [{ country: "BR", category: "marketing", rate: "0.05", currency: "EUR" }, "currency"],
    ];
    for (const [json, field] of cases) {
      const { paths, message } = await refusal(await put(admin, json));
      expect(paths, JSON.stringify(json)).toContain(field);
      expect(message).toContain(field);
    }
    const { paths } = await refusal(await call("/api/rates/overrides?country=BR&category=sms", { method: "DELETE", auth: admin }));
    expect(paths).toEqual(["category"]);
    expect((await callJson<Card>("/api/rates", { auth: admin })).overrides).toEqual([]);
  });

  it("only admins change overrides; operators read the card", async () => {
    const admin = await seedWorkspace();
    const operator = await seedOperator(admin);
    await callJson("/api/rates/overrides", { method: "PUT", json: { country: "MX", category: "utility", rate: "0.01" }, expect: 200, auth: admin });
    const refused = await put(operator, { country: "MX", category: "utility", rate: "0.02" });
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe("forbidden");
    const removal = await call("/api/rates/overrides?country=MX&category=utility", { method: "DELETE", auth: operator });
    expect(removal.status).toBe(403);
    const card = await callJson<Card>("/api/rates", { auth: operator });
    expect(countryOf(card, "MX").rates.utility).toBe("0.01");
  });

  it("keeps each workspace's overrides to itself", async () => {
    const a = await seedWorkspace();
    const b = await seedWorkspace();
    await callJson("/api/rates/overrides", { method: "PUT", json: { country: "CO", category: "marketing", rate: "0.5" }, expect: 200, auth: a });
    const other = await callJson<Card>("/api/rates", { auth: b });
    expect(other.overrides).toEqual([]);
    expect(countryOf(other, "CO").rates.marketing).toBe("0.0125");
    // b cannot remove a's override: for b there is none.
    expect((await call("/api/rates/overrides?country=CO&category=marketing", { method: "DELETE", auth: b })).status).toBe(404);
    expect(countryOf(await callJson<Card>("/api/rates", { auth: a }), "CO").rates.marketing).toBe("0.50");
  });
});
