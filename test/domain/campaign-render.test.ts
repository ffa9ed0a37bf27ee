import { describe, expect, it } from "vitest";
import {
  malformedVariables,
  missingFor,
  missingForAudience,
  parseTextVariables,
  partialTemplateValues,
  type RenderContact,
  renderText,
  resolveTemplateValues,
  variablePicker,
} from "../../worker/domain/campaign-render";
import type { CampaignContent } from "../../worker/domain/campaign-settings";

const ana: RenderContact = { name: "Ana Maria Souza", phone: "+5511987654321", attributes: { city: "Recife", plan: "gold" } };
const nameless: RenderContact = { name: "", phone: "+5521998765432", attributes: {} };

describe("parseTextVariables", () => {
  it("finds contact variables with their fallbacks, each once, in order", () => {
    expect(parseTextVariables(`Hi {{contact.first_name | "there"}}, {{ contact.city }}! {{contact.first_name|"there"}} {{contact.name | 'you'}}`)).toEqual([
      { path: "contact.first_name", fallback: "there" },
      { path: "contact.city" },
      { path: "contact.name", fallback: "you" },
    ]);
  });

  it("keeps an empty fallback and quotes of the other kind", () => {
    expect(parseTextVariables(`{{contact.name | ""}} {{contact.nick | "O'Neil"}} {{contact.title | 'Dr. "Doc"'}}`)).toEqual([
      { path: "contact.name", fallback: "" },
      { path: "contact.nick", fallback: "O'Neil" },
      { path: "contact.title", fallback: 'Dr. "Doc"' },
    ]);
  });

  it("lower-cases paths and reads contact.attributes.<key>", () => {
    expect(parseTextVariables("{{contact.Name}} {{contact.attributes.first_name}}")).toEqual([
      { path: "contact.name" },
      { path: "contact.attributes.first_name" },
    ]);
  });

  it("ignores anything that is not a contact variable", () => {
    expect(parseTextVariables("{{ foo }} {{1}} {contact.name} {{user.name}} plain")).toEqual([]);
  });
});

describe("renderText", () => {
  it("replaces name, first_name, phone and attributes", () => {
    expect(renderText("{{contact.name}} / {{contact.first_name}} / {{contact.phone}} / {{contact.city}} / {{contact.plan}}", ana)).toEqual({
      ok: true,
      text: "Ana Maria Souza / Ana / +5511987654321 / Recife / gold",
    });
  });

  it("takes the first word of a name with extra spaces", () => {
    expect(renderText("Hi {{contact.first_name}}", { ...ana, name: "  João   Pedro " })).toEqual({ ok: true, text: "Hi João" });
  });

  it("tolerates whitespace around the path, the bar and the fallback", () => {
    const text = `{{  contact.name  }}|{{contact.name|"a"}}|{{ contact.name  |  'b'  }}`;
    expect(renderText(text, ana)).toEqual({ ok: true, text: "Ana Maria Souza|Ana Maria Souza|Ana Maria Souza" });
    expect(renderText(text.replace("{{  contact.name  }}|", ""), nameless)).toEqual({ ok: true, text: "a|b" });
  });

  it("uses the fallback when the value is absent, empty or blank", () => {
    const text = `Hi {{contact.first_name | "customer"}} from {{contact.city | 'your city'}}`;
    expect(renderText(text, nameless)).toEqual({ ok: true, text: "Hi customer from your city" });
    expect(renderText(text, { ...ana, name: "   ", attributes: { city: "" } })).toEqual({ ok: true, text: "Hi customer from your city" });
    expect(renderText(`x{{contact.city | ""}}y`, nameless)).toEqual({ ok: true, text: "xy" });
  });

  it("lists each variable with no value and no fallback once", () => {
    expect(renderText("{{contact.name}} {{contact.city}} {{contact.name}} {{contact.plan | 'basic'}} {{contact.code}}", nameless)).toEqual({
      ok: false,
      missing: ["contact.name", "contact.city", "contact.code"],
    });
  });

  it("leaves unknown syntax verbatim", () => {
    const text = "{{ foo }} {{1}} {{contact.name | customer}} {{ contact }} ${x} $& {contact.name}";
    expect(renderText(text, ana)).toEqual({ ok: true, text });
  });

  it("does not interpret replacement patterns in values", () => {
    expect(renderText("{{contact.name}}", { ...ana, name: "$& $1 $$" })).toEqual({ ok: true, text: "$& $1 $$" });
  });

  it("prefers built-ins over attributes of the same key, reachable as contact.attributes.<key>", () => {
    const contact = { ...ana, attributes: { first_name: "Aninha", name: "attr" } };
    expect(renderText("{{contact.first_name}} {{contact.attributes.first_name}} {{contact.attributes.name}}", contact)).toEqual({
      ok: true,
      text: "Ana Aninha attr",
    });
  });
});

describe("malformedVariables", () => {
  it("reports contact variables that do not parse", () => {
    expect(malformedVariables(`{{contact.name | customer}} {{contact.name}} {{ contact.first name }} {{contact.x | "unclosed}}`)).toEqual([
      "{{contact.name | customer}}",
      "{{ contact.first name }}",
      '{{contact.x | "unclosed}}',
    ]);
    expect(malformedVariables(`{{contact.}}`)).toEqual(["{{contact.}}"]);
  });

  it("accepts valid variables and other braces", () => {
    expect(malformedVariables(`{{contact.name | "a"}} {{ foo }} {{contact}} {{contacts.x}}`)).toEqual([]);
  });

  it("cuts a variable that never closes", () => {
    expect(malformedVariables(`Hi {{contact.name ${"x".repeat(100)}`)).toEqual([`{{contact.name ${"x".repeat(25)}…`]);
  });
});

describe("partialTemplateValues", () => {
  it("fills what the contact has and names what it lacks, for a preview", () => {
    const values = {
      header: { "1": { source: "contact", field: "first_name", fallback: "cliente" } },
      body: { "1": { source: "contact", field: "attributes.city" }, "2": { source: "fixed", value: "SALE20" } },
    } as const;
    expect(partialTemplateValues(values, ana)).toEqual({ values: { header: { "1": "Ana" }, body: { "1": "Recife", "2": "SALE20" } }, missing: [] });
    expect(partialTemplateValues(values, nameless)).toEqual({ values: { header: { "1": "cliente" }, body: { "2": "SALE20" } }, missing: ["attributes.city"] });
  });
});

describe("resolveTemplateValues", () => {
  it("keeps fixed values and reads contact fields", () => {
    const result = resolveTemplateValues(
      {
        header: { "1": { source: "fixed", value: "Summer sale" } },
        media: { link: "https://cdn.example.com/banner.jpg" },
        body: {
          "1": { source: "contact", field: "name", fallback: "customer" },
          "2": { source: "contact", field: "phone" },
          "3": { source: "contact", field: "attributes.city" },
        },
        buttons: { "0": { source: "contact", field: "attributes.plan" } },
      },
      ana,
    );
    expect(result).toEqual({
      ok: true,
      values: {
        header: { "1": "Summer sale" },
        media: { link: "https://cdn.example.com/banner.jpg" },
        body: { "1": "Ana Maria Souza", "2": "+5511987654321", "3": "Recife" },
        buttons: { "0": "gold" },
      },
    });
  });

  it("uses fallbacks for absent or blank fields", () => {
    const values = {
      body: { name: { source: "contact", field: "name", fallback: "cliente" }, city: { source: "contact", field: "attributes.city", fallback: "sua cidade" } },
    } as const;
    expect(resolveTemplateValues(values, nameless)).toEqual({ ok: true, values: { body: { name: "cliente", city: "sua cidade" } } });
    expect(resolveTemplateValues(values, { ...nameless, name: "  ", attributes: { city: "" } })).toEqual({
      ok: true,
      values: { body: { name: "cliente", city: "sua cidade" } },
    });
  });

  it("names each field with no value and no fallback once", () => {
    expect(
      resolveTemplateValues(
        {
          header: { "1": { source: "contact", field: "attributes.city" } },
          body: { "1": { source: "contact", field: "name" }, "2": { source: "contact", field: "attributes.city" }, "3": { source: "fixed", value: "ok" } },
        },
        nameless,
      ),
    ).toEqual({ ok: false, missing: ["attributes.city", "name"] });
  });

  it("flattens new lines, tabs and runs of spaces, which Meta refuses in parameters", () => {
    const contact = { ...ana, attributes: { address: "Rua A, 1\n\tApto     2 " } };
    expect(resolveTemplateValues({ body: { "1": { source: "contact", field: "attributes.address" } } }, contact)).toEqual({
      ok: true,
      values: { body: { "1": "Rua A, 1 Apto 2" } },
    });
  });

  it("gives empty values for no values", () => {
    expect(resolveTemplateValues({}, ana)).toEqual({ ok: true, values: {} });
  });
});

describe("missingFor / missingForAudience", () => {
  const text: CampaignContent = { type: "text", variants: ["Hi {{contact.first_name}}", 'Hello {{contact.first_name | "you"}} from {{contact.city}}'] };
  const template: CampaignContent = {
    type: "template",
    template_name: "promo",
    language: "pt_BR",
    values: { body: { "1": { source: "contact", field: "name", fallback: "cliente" }, "2": { source: "contact", field: "attributes.coupon" } } },
  };

  it("counts a value missing from any variant", () => {
    expect(missingFor(text, ana)).toEqual([]);
    expect(missingFor(text, { ...ana, attributes: {} })).toEqual(["contact.city"]);
    expect(missingFor(text, nameless)).toEqual(["contact.first_name", "contact.city"]);
  });

  it("counts affected contacts, per variable, with at most five examples", () => {
    const contacts: RenderContact[] = Array.from({ length: 20 }, (_, i) => ({
      name: i % 2 ? `Person ${i}` : "",
      phone: `+55119000000${String(i).padStart(2, "0")}`,
      attributes: i % 4 < 2 ? { city: "Natal" } : ({} as Record<string, string>),
    }));
    const gaps = missingForAudience(text, contacts);
    // Odd i have a name, i % 4 < 2 a city: only i % 4 === 1 (5 contacts) have both.
    expect(gaps.affected).toBe(15);
    expect(gaps.byVariable).toEqual({ "contact.first_name": 10, "contact.city": 10 });
    expect(gaps.examples).toEqual([
      { phone: "+5511900000000", missing: ["contact.first_name"] },
      { phone: "+5511900000002", missing: ["contact.first_name", "contact.city"] },
      { phone: "+5511900000003", missing: ["contact.city"] },
      { phone: "+5511900000004", missing: ["contact.first_name"] },
      { phone: "+5511900000006", missing: ["contact.first_name", "contact.city"] },
    ]);
  });

  it("works for templates and any iterable", () => {
    function* audience() {
      yield ana;
      yield { ...ana, phone: "+1", attributes: { coupon: "X1" } };
      yield { ...nameless, attributes: { coupon: "X2" } };
      yield nameless;
    }
    expect(missingForAudience(template, audience())).toEqual({
      affected: 2,
      byVariable: { "attributes.coupon": 2 },
      examples: [
        { phone: ana.phone, missing: ["attributes.coupon"] },
        { phone: nameless.phone, missing: ["attributes.coupon"] },
      ],
    });
  });

  it("reports nothing for an empty audience", () => {
    expect(missingForAudience(template, [])).toEqual({ affected: 0, byVariable: {}, examples: [] });
  });
});

describe("variablePicker", () => {
  it("offers the built-ins, then the attributes", () => {
    expect(variablePicker(["city", "plan"])).toEqual([
      { path: "contact.name", insert: "{{contact.name}}", label: "Name" },
      { path: "contact.first_name", insert: "{{contact.first_name}}", label: "First name" },
      { path: "contact.phone", insert: "{{contact.phone}}", label: "Phone" },
      { path: "contact.city", insert: "{{contact.city}}", label: "city" },
      { path: "contact.plan", insert: "{{contact.plan}}", label: "plan" },
    ]);
    expect(variablePicker().map((v) => v.path)).toEqual(["contact.name", "contact.first_name", "contact.phone"]);
  });

  it("drops invalid and repeated keys and spells clashing keys in full", () => {
    expect(
      variablePicker(["city", "City", "bad key", "city", "first_name"])
        .slice(3)
        .map((v) => v.insert),
    ).toEqual(["{{contact.city}}", "{{contact.attributes.first_name}}"]);
  });

  it("inserts text that renders", () => {
    for (const variable of variablePicker(["city", "name"])) {
      expect(renderText(variable.insert, { ...ana, attributes: { city: "Recife", name: "n" } }).ok, variable.path).toBe(true);
    }
  });
});
