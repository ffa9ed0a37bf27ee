import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  audienceSchema,
  contentSchema,
  DEFAULT_SEND_SETTINGS,
  isTimeZone,
  resolveSchedule,
  scheduleSchema,
  sendSettingsSchema,
  toUtcMillis,
} from "../../worker/domain/campaign-settings";

/** The problems zod reports, as `{ path, message }` with dotted paths (as the API shows them). */
function problems(schema: z.ZodType, input: unknown) {
  const result = schema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

describe("sendSettingsSchema", () => {
  it("fills every default", () => {
    const expected = {
      min_delay_s: 3,
      max_delay_s: 8,
      batch_size: 50,
      batch_pause_s: 0,
      randomize_variants: true,
      failure_threshold: 0.5,
      failure_window: 50,
    };
    expect(sendSettingsSchema.parse({})).toEqual(expected);
    expect(DEFAULT_SEND_SETTINGS).toEqual(expected);
  });

  it("accepts the bounds and millisecond resolution", () => {
    const edges = { min_delay_s: 0, max_delay_s: 3600, batch_size: 1000, batch_pause_s: 86400, failure_threshold: 1, failure_window: 1000 };
    expect(problems(sendSettingsSchema, edges)).toEqual([]);
    expect(problems(sendSettingsSchema, { min_delay_s: 1.234, max_delay_s: 1.235, batch_size: 1, failure_threshold: 0.05, failure_window: 10 })).toEqual([]);
    expect(sendSettingsSchema.parse({ min_delay_s: 0, max_delay_s: 0 })).toMatchObject({ min_delay_s: 0, max_delay_s: 0 });
  });

  it.each([
    [{ min_delay_s: -1 }, "min_delay_s", /at least 0/],
    [{ max_delay_s: 3600.001 }, "max_delay_s", /at most 3,600 seconds/],
    [{ min_delay_s: 1.0005, max_delay_s: 2 }, "min_delay_s", /3 decimals/],
    [{ batch_size: 0 }, "batch_size", /at least 1/],
    [{ batch_size: 1001 }, "batch_size", /at most 1,000/],
    [{ batch_size: 2.5 }, "batch_size", /whole number/],
    [{ batch_pause_s: 86_401 }, "batch_pause_s", /at most 86,400 seconds/],
    [{ failure_threshold: 0.04 }, "failure_threshold", /at least 0.05/],
    [{ failure_threshold: 1.01 }, "failure_threshold", /at most 1/],
    [{ failure_window: 9 }, "failure_window", /at least 10/],
    [{ failure_window: 1001 }, "failure_window", /at most 1,000/],
    [{ randomize_variants: "yes" }, "randomize_variants", /boolean/],
    [{ min_delay_s: "3" }, "min_delay_s", /number/],
  ])("refuses %j", (input, path, message) => {
    const found = problems(sendSettingsSchema, input);
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe(path);
    expect(found[0]!.message).toMatch(message);
  });

  it("refuses min above max, naming max_delay_s", () => {
    expect(problems(sendSettingsSchema, { min_delay_s: 5, max_delay_s: 2 })).toEqual([
      { path: "max_delay_s", message: "max_delay_s (2) must be at least min_delay_s (5)" },
    ]);
    // The default max (8) counts too.
    expect(problems(sendSettingsSchema, { min_delay_s: 10 })[0]?.message).toBe("max_delay_s (8) must be at least min_delay_s (10)");
  });

  it("as a field, prefault({}) fills the defaults", () => {
    expect(sendSettingsSchema.prefault({}).parse(undefined)).toEqual(DEFAULT_SEND_SETTINGS);
  });
});

describe("audienceSchema", () => {
  it("defaults match and exclusions", () => {
    expect(audienceSchema.parse({ labels: [1, 2] })).toEqual({ labels: [1, 2], match: "any", exclude_labels: [] });
    expect(audienceSchema.parse({ labels: [1], match: "all", exclude_labels: [3] })).toEqual({ labels: [1], match: "all", exclude_labels: [3] });
  });

  it.each([
    [{ labels: [] }, "labels", "choose at least one label"],
    [{ labels: Array.from({ length: 501 }, (_, i) => i + 1) }, "labels", "at most 500 labels"],
    [{ labels: [1], exclude_labels: Array.from({ length: 501 }, (_, i) => i + 2) }, "exclude_labels", "at most 500 labels"],
    [{ labels: [0] }, "labels.0", "label ids are positive"],
    [{ labels: [1.5] }, "labels.0", "label ids are whole numbers"],
    [{ labels: [1, 2], exclude_labels: [2] }, "exclude_labels", "label 2 cannot be both included and excluded"],
    [{ labels: [1, 2], exclude_labels: [1, 2] }, "exclude_labels", "labels 1, 2 cannot be both included and excluded"],
  ])("refuses %j", (input, path, message) => {
    expect(problems(audienceSchema, input)).toContainEqual({ path, message });
  });

  it("refuses an unknown match", () => {
    expect(problems(audienceSchema, { labels: [1], match: "some" })[0]?.path).toBe("match");
  });
});

describe("contentSchema", () => {
  describe("text", () => {
    it("accepts 1–10 variants with variables", () => {
      const content = { type: "text", variants: ['Hi {{contact.first_name | "there"}}!', "Olá {{ contact.name }}"], preview_url: true };
      expect(contentSchema.parse(content)).toEqual(content);
      expect(problems(contentSchema, { type: "text", variants: Array(10).fill("x") })).toEqual([]);
    });

    it("counts length in characters as WhatsApp does", () => {
      expect(problems(contentSchema, { type: "text", variants: ["😀".repeat(4096)] })).toEqual([]);
      expect(problems(contentSchema, { type: "text", variants: ["a".repeat(4097)] })).toEqual([
        { path: "variants.0", message: "must be at most 4,096 characters" },
      ]);
    });

    it.each([
      [{ type: "text", variants: [] }, "variants", "give at least one variant"],
      [{ type: "text", variants: Array(11).fill("x") }, "variants", "at most 10 variants"],
      [{ type: "text", variants: ["ok", "  "] }, "variants.1", "must not be blank"],
      [
        { type: "text", variants: ["Hi {{contact.name | customer}}"] },
        "variants.0",
        '{{contact.name | customer}} is not a valid variable; write {{contact.name}} or {{contact.name | "fallback"}}',
      ],
      [{ type: "text", variants: ["x"], preview_url: "yes" }, "preview_url", expect.stringMatching(/boolean/)],
    ])("refuses %j", (input, path, message) => {
      expect(problems(contentSchema, input)).toContainEqual({ path, message });
    });

    it("leaves other braces alone", () => {
      expect(problems(contentSchema, { type: "text", variants: ["{{ foo }} and {{1}} and {contact.name}"] })).toEqual([]);
    });
  });

  describe("template", () => {
    const template = (values: unknown) => ({ type: "template", template_name: "summer_sale", language: "pt_BR", values });

    it("accepts fixed and contact value sources in header, body and buttons", () => {
      const content = template({
        header: { "1": { source: "fixed", value: "Summer" } },
        body: {
          first_name: { source: "contact", field: "name", fallback: "cliente" },
          given_name: { source: "contact", field: "first_name", fallback: "cliente" },
          phone: { source: "contact", field: "phone" },
          city: { source: "contact", field: "attributes.city", fallback: "sua cidade" },
        },
        buttons: { "0": { source: "contact", field: "attributes.coupon_code" } },
      });
      expect(contentSchema.parse(content)).toEqual(content);
    });

    it("accepts a media header given by link or by id, and no values at all", () => {
      expect(problems(contentSchema, template({ media: { link: "https://cdn.example.com/a.jpg" } }))).toEqual([]);
      expect(problems(contentSchema, template({ media: { id: "123456", filename: "menu.pdf" } }))).toEqual([]);
      expect(contentSchema.parse({ type: "template", template_name: "hello_world", language: "en_US" })).toMatchObject({ values: {} });
    });

    it.each([
      [
        template({ body: { "1": { source: "contact", field: "email" } } }),
        "values.body.1.field",
        'must be "name", "first_name", "phone" or "attributes.<key>" (key in a-z, 0-9 and _)',
      ],
      [template({ body: { "1": { source: "contact", field: "attributes.City" } } }), "values.body.1.field", expect.stringMatching(/attributes\.<key>/)],
      [template({ body: { "1": { source: "contact", field: "attributes." } } }), "values.body.1.field", expect.stringMatching(/attributes\.<key>/)],
      [template({ body: { "1": { source: "contact", field: "name", fallback: " " } } }), "values.body.1.fallback", "must not be blank"],
      [
        template({ body: { "1": { source: "contact", field: "name", fallback: "x".repeat(1025) } } }),
        "values.body.1.fallback",
        "must be at most 1,024 characters",
      ],
      [template({ body: { "1": { source: "fixed", value: "" } } }), "values.body.1.value", "must not be blank"],
      [template({ body: { "1": { source: "fixed", value: "x".repeat(1025) } } }), "values.body.1.value", "must be at most 1,024 characters"],
      [template({ body: { "1": { source: "csv", value: "x" } } }), "values.body.1.source", expect.stringMatching(/fixed.*contact/)],
      [template({ body: { "a b": { source: "fixed", value: "x" } } }), "values.body.a b", expect.stringMatching(/variable name/)],
      [template({ buttons: { "10": { source: "fixed", value: "x" } } }), "values.buttons.10", "button indexes go from 0 to 9"],
      [template({ media: {} }), "values.media", "give the media's link or its id"],
      [template({ media: { link: "https://a.example/x.jpg", id: "1" } }), "values.media", "give the media's link or its id, not both"],
      [template({ media: { link: "ftp://a.example/x.jpg" } }), "values.media.link", "must be an http(s) URL"],
      [{ ...template({}), template_name: "Summer Sale" }, "template_name", "must be a template name (a-z, 0-9 and _)"],
      [{ ...template({}), language: "portuguese" }, "language", expect.stringMatching(/language code/)],
    ])("refuses %j", (input, path, message) => {
      expect(problems(contentSchema, input)).toContainEqual({ path, message });
    });
  });

  it("refuses an unknown content type", () => {
    expect(problems(contentSchema, { type: "image" })[0]?.path).toBe("type");
  });
});

const utc = (y: number, mo: number, d: number, h: number, mi: number, s = 0) => Date.UTC(y, mo - 1, d, h, mi, s);

describe("toUtcMillis", () => {
  it("São Paulo has no daylight saving now: always UTC−3", () => {
    expect(toUtcMillis("2026-12-01T09:30", "America/Sao_Paulo")).toBe(utc(2026, 12, 1, 12, 30));
    expect(toUtcMillis("2026-06-15T23:45", "America/Sao_Paulo")).toBe(utc(2026, 6, 16, 2, 45));
    expect(toUtcMillis("2026-01-10T00:00", "America/Sao_Paulo")).toBe(utc(2026, 1, 10, 3, 0));
  });

  it("São Paulo's old midnight spring-forward (2018-11-04) moves a skipped time forward", () => {
    // Clocks went from 00:00 −03 to 01:00 −02, so 00:30 did not exist: it becomes 01:30 −02.
    expect(toUtcMillis("2018-11-04T00:30", "America/Sao_Paulo")).toBe(utc(2018, 11, 4, 3, 30));
    expect(toUtcMillis("2018-11-03T23:30", "America/Sao_Paulo")).toBe(utc(2018, 11, 4, 2, 30));
  });

  describe("New York", () => {
    it("uses EST in winter and EDT in summer", () => {
      expect(toUtcMillis("2026-01-15T09:00", "America/New_York")).toBe(utc(2026, 1, 15, 14, 0));
      expect(toUtcMillis("2026-07-15T09:00", "America/New_York")).toBe(utc(2026, 7, 15, 13, 0));
    });

    it("moves a time in the spring-forward gap (2026-03-08 02:00–03:00) to the same time after the jump", () => {
      expect(toUtcMillis("2026-03-08T01:59", "America/New_York")).toBe(utc(2026, 3, 8, 6, 59)); // EST
      expect(toUtcMillis("2026-03-08T02:00", "America/New_York")).toBe(utc(2026, 3, 8, 7, 0)); // 03:00 EDT
      expect(toUtcMillis("2026-03-08T02:30", "America/New_York")).toBe(utc(2026, 3, 8, 7, 30)); // 03:30 EDT
      expect(toUtcMillis("2026-03-08T03:30", "America/New_York")).toBe(utc(2026, 3, 8, 7, 30)); // EDT
    });

    it("takes the earlier of the two 01:xx on the fall-back day (2026-11-01)", () => {
      expect(toUtcMillis("2026-11-01T00:59", "America/New_York")).toBe(utc(2026, 11, 1, 4, 59)); // EDT
      expect(toUtcMillis("2026-11-01T01:00", "America/New_York")).toBe(utc(2026, 11, 1, 5, 0)); // EDT, not EST
      expect(toUtcMillis("2026-11-01T01:30", "America/New_York")).toBe(utc(2026, 11, 1, 5, 30)); // EDT, not EST
      expect(toUtcMillis("2026-11-01T02:00", "America/New_York")).toBe(utc(2026, 11, 1, 7, 0)); // EST
    });
  });

  describe("Lisbon", () => {
    it("is UTC in winter and UTC+1 in summer", () => {
      expect(toUtcMillis("2026-01-15T10:00", "Europe/Lisbon")).toBe(utc(2026, 1, 15, 10, 0));
      expect(toUtcMillis("2026-07-15T10:00", "Europe/Lisbon")).toBe(utc(2026, 7, 15, 9, 0));
    });

    it("handles the 01:00 spring-forward (2026-03-29) and the 02:00 fall-back (2026-10-25)", () => {
      expect(toUtcMillis("2026-03-29T01:30", "Europe/Lisbon")).toBe(utc(2026, 3, 29, 1, 30)); // 02:30 WEST
      expect(toUtcMillis("2026-10-25T01:30", "Europe/Lisbon")).toBe(utc(2026, 10, 25, 0, 30)); // WEST, the earlier
      expect(toUtcMillis("2026-10-25T02:30", "Europe/Lisbon")).toBe(utc(2026, 10, 25, 2, 30)); // WET
    });
  });

  it("takes seconds and milliseconds", () => {
    expect(toUtcMillis("2026-12-01T09:30:15.250", "America/Sao_Paulo")).toBe(utc(2026, 12, 1, 12, 30, 15) + 250);
    expect(toUtcMillis("2026-12-01T09:30:15.5", "UTC")).toBe(utc(2026, 12, 1, 9, 30, 15) + 500);
  });

  it("takes an explicit offset as is, whatever the zone", () => {
    expect(toUtcMillis("2026-12-01T09:30-03:00", "Europe/Lisbon")).toBe(utc(2026, 12, 1, 12, 30));
    expect(toUtcMillis("2026-12-01T09:30+05:30", "America/New_York")).toBe(utc(2026, 12, 1, 4, 0));
    expect(toUtcMillis("2026-12-01T09:30Z", "America/New_York")).toBe(utc(2026, 12, 1, 9, 30));
  });

  it("throws for an invalid date-time or zone", () => {
    expect(() => toUtcMillis("2026-02-30T10:00", "UTC")).toThrow(RangeError);
    expect(() => toUtcMillis("2026-12-01T09:30", "Mars/Olympus_Mons")).toThrow(RangeError);
  });
});

describe("scheduleSchema", () => {
  it("accepts local and offset times with a known zone", () => {
    expect(scheduleSchema.parse({ at: "2026-12-01T09:30", timezone: "America/Sao_Paulo" })).toEqual({
      at: "2026-12-01T09:30",
      timezone: "America/Sao_Paulo",
    });
    expect(problems(scheduleSchema, { at: "2026-12-01T09:30:00-03:00", timezone: "UTC" })).toEqual([]);
  });

  it.each(["2026-02-30T10:00", "2026-13-01T10:00", "2026-12-01T24:00", "2026-12-01 09:30", "2026-12-01", "09:30", "2026-12-01T09:30+25:00", ""])(
    "refuses the time %j",
    (at) => {
      expect(problems(scheduleSchema, { at, timezone: "UTC" })).toEqual([
        { path: "at", message: 'must be a date and time like "2026-12-01T09:30" (an offset such as "-03:00" is optional)' },
      ]);
    },
  );

  it.each(["Mars/Olympus_Mons", "America/Nowhere", "+03:00", "", "America/Sao Paulo"])("refuses the zone %j", (timezone) => {
    expect(problems(scheduleSchema, { at: "2026-12-01T09:30", timezone })).toEqual([
      { path: "timezone", message: 'must be an IANA time zone such as "America/Sao_Paulo"' },
    ]);
    expect(isTimeZone(timezone)).toBe(false);
  });

  it("stores a zone under its canonical spelling", () => {
    expect(scheduleSchema.parse({ at: "2026-12-01T09:30", timezone: "america/sao_paulo" }).timezone).toBe("America/Sao_Paulo");
  });
});

describe("resolveSchedule", () => {
  const now = utc(2026, 6, 1, 12, 0);

  it("gives the epoch ms of a future time", () => {
    expect(resolveSchedule({ at: "2026-06-01T09:01", timezone: "America/Sao_Paulo" }, now)).toEqual({ ok: true, at: utc(2026, 6, 1, 12, 1) });
  });

  it("refuses a time in the past, or now, with the time and zone", () => {
    expect(resolveSchedule({ at: "2026-06-01T08:59", timezone: "America/Sao_Paulo" }, now)).toEqual({
      ok: false,
      message: "the scheduled time 2026-06-01T08:59 (America/Sao_Paulo) is in the past; pick a later time or launch now",
    });
    expect(resolveSchedule({ at: "2026-06-01T09:00", timezone: "America/Sao_Paulo" }, now).ok).toBe(false);
    expect(resolveSchedule({ at: "2026-06-01T11:00Z", timezone: "UTC" }, now)).toEqual({
      ok: false,
      message: "the scheduled time 2026-06-01T11:00Z is in the past; pick a later time or launch now",
    });
  });

  it("refuses what the schema would have refused", () => {
    expect(resolveSchedule({ at: "tomorrow", timezone: "UTC" }, now)).toEqual({ ok: false, message: 'the scheduled time "tomorrow" is not a date and time' });
    expect(resolveSchedule({ at: "2026-12-01T09:30", timezone: "Mars/Base" }, now)).toEqual({ ok: false, message: '"Mars/Base" is not a known time zone' });
  });
});
