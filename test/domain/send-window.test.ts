import { describe, expect, it } from "vitest";
import { sendSettingsSchema, sendWindowSchema } from "../../worker/domain/campaign-settings";
import {
  currentOrNextInterval,
  estimateSchedule,
  isOpen,
  localInstant,
  nextOpening,
  openMsPerWeek,
  recipientZone,
  type WindowHours,
  windowWaitNote,
  windowWaitUntil,
  windowZone,
} from "../../worker/domain/send-window";
import { offsetAt } from "../../worker/domain/time-zone";

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const WEEKDAYS_9_TO_6: WindowHours = { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "18:00" };
const EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as WindowHours["days"];

function problems(input: unknown) {
  const result = sendWindowSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

describe("sendWindowSchema", () => {
  it("accepts a window, puts its days in week order and names its zone as Intl does", () => {
    expect(sendWindowSchema.parse({ days: ["fri", "mon"], from: "09:00", to: "18:00", timezone: "america/sao_paulo" })).toEqual({
      days: ["mon", "fri"],
      from: "09:00",
      to: "18:00",
      timezone: "America/Sao_Paulo",
      per_contact_timezone: false,
    });
    expect(sendWindowSchema.parse({ days: ["sat"], from: "20:00", to: "02:00", per_contact_timezone: true })).toEqual({
      days: ["sat"],
      from: "20:00",
      to: "02:00",
      per_contact_timezone: true,
    });
  });

  it("names the field of each problem", () => {
    expect(problems({ days: [], from: "09:00", to: "18:00" })).toEqual([{ path: "days", message: "choose at least one day" }]);
    expect(problems({ days: ["mon", "mon"], from: "09:00", to: "18:00" })).toEqual([{ path: "days", message: "name each day once" }]);
    expect(problems({ days: ["monday"], from: "09:00", to: "18:00" })).toEqual([
      { path: "days.0", message: "must be one of mon, tue, wed, thu, fri, sat, sun" },
    ]);
    expect(problems({ days: ["mon"], from: "9:00", to: "24:00" }).map((p) => p.path)).toEqual(["from", "to"]);
    expect(problems({ days: ["mon"], from: "09:00", to: "18:00", timezone: "Mars/Olympus_Mons" })).toEqual([
      { path: "timezone", message: 'must be an IANA time zone such as "America/Sao_Paulo"' },
    ]);
    expect(problems({ days: ["mon"], from: "09:00", to: "09:00" })).toEqual([
      { path: "to", message: 'must differ from "from" (09:00); a window must close at some time' },
    ]);
  });

  it("is an optional, nullable part of the send settings", () => {
    expect(sendSettingsSchema.parse({})).not.toHaveProperty("send_window");
    expect(sendSettingsSchema.parse({ send_window: null }).send_window).toBeNull();
    const result = sendSettingsSchema.safeParse({ send_window: { days: ["mon"], from: "10:00", to: "10:00" } });
    expect(result.success ? [] : result.error.issues.map((i) => i.path.join("."))).toEqual(["send_window.to"]);
  });
});

describe("isOpen and nextOpening", () => {
  it("knows the workerd ICU data these tests rely on", () => {
    expect(offsetAt("America/New_York", at("2026-01-15T12:00Z"))).toBe(-5 * HOUR);
    expect(offsetAt("America/New_York", at("2026-07-15T12:00Z"))).toBe(-4 * HOUR);
    expect(offsetAt("America/Santiago", at("2026-01-15T12:00Z"))).toBe(-3 * HOUR);
    expect(offsetAt("America/Santiago", at("2026-07-15T12:00Z"))).toBe(-4 * HOUR);
    expect(offsetAt("America/Sao_Paulo", at("2018-12-15T12:00Z"))).toBe(-2 * HOUR);
    expect(offsetAt("America/Sao_Paulo", at("2026-01-15T12:00Z"))).toBe(-3 * HOUR);
  });

  it("opens on the chosen days from `from` until just before `to`, in the window's zone", () => {
    // 2026-03-04 is a Wednesday; São Paulo is UTC−3.
    const zone = "America/Sao_Paulo";
    expect(isOpen(WEEKDAYS_9_TO_6, zone, at("2026-03-04T11:59:59Z"))).toBe(false);
    expect(isOpen(WEEKDAYS_9_TO_6, zone, at("2026-03-04T12:00:00Z"))).toBe(true);
    expect(isOpen(WEEKDAYS_9_TO_6, zone, at("2026-03-04T20:59:59Z"))).toBe(true);
    expect(isOpen(WEEKDAYS_9_TO_6, zone, at("2026-03-04T21:00:00Z"))).toBe(false);
    expect(isOpen(WEEKDAYS_9_TO_6, "UTC", at("2026-03-04T20:59:59Z"))).toBe(false);
    // Saturday noon there: closed until Monday 09:00.
    expect(isOpen(WEEKDAYS_9_TO_6, zone, at("2026-03-07T15:00Z"))).toBe(false);
    expect(nextOpening(WEEKDAYS_9_TO_6, zone, at("2026-03-07T15:00Z"))).toBe(at("2026-03-09T12:00Z"));
    // Open: the instant itself.
    expect(nextOpening(WEEKDAYS_9_TO_6, zone, at("2026-03-04T15:00Z"))).toBe(at("2026-03-04T15:00Z"));
    // After Friday's close, Monday.
    expect(nextOpening(WEEKDAYS_9_TO_6, zone, at("2026-03-06T21:00Z"))).toBe(at("2026-03-09T12:00Z"));
    expect(currentOrNextInterval(WEEKDAYS_9_TO_6, zone, at("2026-03-04T15:00Z"))).toEqual({ start: at("2026-03-04T12:00Z"), end: at("2026-03-04T21:00Z") });
  });

  it("an overnight window (to before from) runs into the next day, which need not be chosen", () => {
    const fridayNights: WindowHours = { days: ["fri"], from: "20:00", to: "02:00" };
    expect(isOpen(fridayNights, "UTC", at("2026-03-06T19:59Z"))).toBe(false);
    expect(isOpen(fridayNights, "UTC", at("2026-03-06T20:00Z"))).toBe(true);
    expect(isOpen(fridayNights, "UTC", at("2026-03-07T01:59Z"))).toBe(true); // Saturday 01:59
    expect(isOpen(fridayNights, "UTC", at("2026-03-07T02:00Z"))).toBe(false);
    expect(isOpen(fridayNights, "UTC", at("2026-03-07T21:00Z"))).toBe(false); // Saturday evening
    expect(nextOpening(fridayNights, "UTC", at("2026-03-07T02:00Z"))).toBe(at("2026-03-13T20:00Z"));
    // Until midnight.
    expect(currentOrNextInterval({ days: ["sun"], from: "22:00", to: "00:00" }, "UTC", at("2026-03-08T12:00Z"))).toEqual({
      start: at("2026-03-08T22:00Z"),
      end: at("2026-03-09T00:00Z"),
    });
  });

  describe("America/New_York", () => {
    const zone = "America/New_York";

    it("on 2026-03-08 the clock skips 02:00–03:00: a window opening in the gap opens when the clock jumps", () => {
      const sunday = (from: string, to: string): WindowHours => ({ days: ["sun"], from, to });
      // 02:30 does not exist: the window opens at 03:00 EDT (07:00Z), not 03:30.
      expect(localInstant(zone, { year: 2026, month: 3, day: 8 }, 150)).toBe(at("2026-03-08T07:00Z"));
      expect(nextOpening(sunday("02:30", "05:00"), zone, at("2026-03-08T00:00Z"))).toBe(at("2026-03-08T07:00Z"));
      expect(isOpen(sunday("02:30", "05:00"), zone, at("2026-03-08T06:59:59Z"))).toBe(false); // 01:59:59 EST
      expect(isOpen(sunday("02:30", "05:00"), zone, at("2026-03-08T07:00Z"))).toBe(true); // 03:00 EDT
      // 01:00–03:30 by the clock lasts an hour and a half.
      expect(currentOrNextInterval(sunday("01:00", "03:30"), zone, at("2026-03-08T00:00Z"))).toEqual({
        start: at("2026-03-08T06:00Z"),
        end: at("2026-03-08T07:30Z"),
      });
      // 09:00 is 14:00Z on Saturday (EST) and 13:00Z on Sunday (EDT).
      const mornings: WindowHours = { days: EVERY_DAY, from: "09:00", to: "10:00" };
      expect(nextOpening(mornings, zone, at("2026-03-07T12:00Z"))).toBe(at("2026-03-07T14:00Z"));
      expect(nextOpening(mornings, zone, at("2026-03-07T15:00Z"))).toBe(at("2026-03-08T13:00Z"));
      // A window wholly inside the skipped hour does not open that day.
      expect(nextOpening(sunday("02:10", "02:50"), zone, at("2026-03-08T00:00Z"))).toBe(at("2026-03-15T06:10Z"));
    });

    it("on 2026-11-01 the clock shows 01:00–02:00 twice: times count at their first occurrence", () => {
      const sunday = (from: string, to: string): WindowHours => ({ days: ["sun"], from, to });
      // 01:30 EDT (05:30Z) until 05:00 EST (10:00Z): open through the repeated hour.
      expect(currentOrNextInterval(sunday("01:30", "05:00"), zone, at("2026-11-01T00:00Z"))).toEqual({
        start: at("2026-11-01T05:30Z"),
        end: at("2026-11-01T10:00Z"),
      });
      expect(isOpen(sunday("01:30", "05:00"), zone, at("2026-11-01T06:15Z"))).toBe(true); // 01:15 EST, the second time
      // A window ending at 01:30 closes at its first occurrence and does not open again in the repeat.
      expect(isOpen(sunday("00:00", "01:30"), zone, at("2026-11-01T05:29Z"))).toBe(true);
      expect(isOpen(sunday("00:00", "01:30"), zone, at("2026-11-01T06:15Z"))).toBe(false);
      // 09:00 is 13:00Z on Saturday (EDT) and 14:00Z on Sunday (EST).
      const mornings: WindowHours = { days: EVERY_DAY, from: "09:00", to: "10:00" };
      expect(nextOpening(mornings, zone, at("2026-10-31T12:00Z"))).toBe(at("2026-10-31T13:00Z"));
      expect(nextOpening(mornings, zone, at("2026-10-31T14:00Z"))).toBe(at("2026-11-01T14:00Z"));
    });
  });

  it("São Paulo on 2018-11-04 (clocks went from 00:00 to 01:00): a window opening at 00:00 opens at 01:00 local", () => {
    const sundays: WindowHours = { days: ["sun"], from: "00:00", to: "06:00" };
    const zone = "America/Sao_Paulo";
    // 01:00 BRST (UTC−2) is 03:00Z; the window closes at 06:00 BRST (08:00Z).
    expect(nextOpening(sundays, zone, at("2018-11-03T12:00Z"))).toBe(at("2018-11-04T03:00Z"));
    expect(isOpen(sundays, zone, at("2018-11-04T02:59Z"))).toBe(false); // Saturday 23:59 BRT
    expect(isOpen(sundays, zone, at("2018-11-04T03:00Z"))).toBe(true);
    expect(currentOrNextInterval(sundays, zone, at("2018-11-04T03:00Z")).end).toBe(at("2018-11-04T08:00Z"));
    // A week later, an ordinary Sunday: 00:00 BRST is 02:00Z.
    expect(nextOpening(sundays, zone, at("2018-11-05T12:00Z"))).toBe(at("2018-11-11T02:00Z"));
  });

  it("America/Santiago, a southern-hemisphere zone with daylight saving in 2026", () => {
    const zone = "America/Santiago";
    const sundays: WindowHours = { days: ["sun"], from: "00:00", to: "06:00" };
    // 2026-09-06: clocks go from 00:00 (UTC−4) to 01:00 (UTC−3); the window opens at 01:00, 04:00Z.
    expect(offsetAt(zone, at("2026-09-06T03:59Z"))).toBe(-4 * HOUR);
    expect(offsetAt(zone, at("2026-09-06T04:00Z"))).toBe(-3 * HOUR);
    expect(nextOpening(sundays, zone, at("2026-09-05T12:00Z"))).toBe(at("2026-09-06T04:00Z"));
    expect(currentOrNextInterval(sundays, zone, at("2026-09-06T04:00Z")).end).toBe(at("2026-09-06T09:00Z"));
    // 2026-04-05: at 00:00 (UTC−3) clocks go back to Saturday 23:00 (UTC−4). Saturday 22:00–23:30
    // counts 23:30 at its first occurrence (02:30Z); Sunday 00:00 is first shown at 04:00Z.
    expect(currentOrNextInterval({ days: ["sat"], from: "22:00", to: "23:30" }, zone, at("2026-04-04T12:00Z"))).toEqual({
      start: at("2026-04-05T01:00Z"),
      end: at("2026-04-05T02:30Z"),
    });
    expect(nextOpening(sundays, zone, at("2026-04-04T12:00Z"))).toBe(at("2026-04-05T04:00Z"));
  });
});

describe("estimateSchedule", () => {
  const settings = { min_delay_s: 6, max_delay_s: 6, batch_size: 1_000, batch_pause_s: 0 };

  it("without a window: starts at the start and sends for the paced duration", () => {
    const start = at("2026-03-06T21:00Z");
    expect(estimateSchedule({ recipients: 101, settings, capPerSecond: 80, start, window: null, timeZone: "UTC" })).toEqual({
      startsAt: start,
      endsAt: start + 600_000,
      days: 0.01,
    });
  });

  it("with a window: starts at the next opening and sends only while it is open", () => {
    // 5,000 gaps of 6 s: 8 h 20 min of sending, from Monday 09:00 (after a Friday-evening start).
    expect(
      estimateSchedule({
        recipients: 5_001,
        settings,
        capPerSecond: 80,
        start: at("2026-03-06T21:00Z"),
        window: { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:00" },
        timeZone: "UTC",
      }),
    ).toEqual({ startsAt: at("2026-03-09T09:00Z"), endsAt: at("2026-03-10T09:20Z"), days: 1.01 });
  });

  it("counts open time by the zone's clock across a daylight-saving change", () => {
    // 01:00–03:00 every night in New York: two hours, except on 2026-03-08, when the clock skips
    // 02:00–03:00 and the window lasts one hour.
    const nights: WindowHours = { days: EVERY_DAY, from: "01:00", to: "03:00" };
    const oneHourOfSending = { min_delay_s: 3.6, max_delay_s: 3.6, batch_size: 1_000, batch_pause_s: 0 };
    const estimate = estimateSchedule({
      recipients: 1_001,
      settings: oneHourOfSending,
      capPerSecond: 80,
      start: at("2026-03-08T00:00Z"),
      window: nights,
      timeZone: "America/New_York",
    });
    // Opens 01:00 EST (06:00Z), the clock jumps to 03:00 EDT at 07:00Z: the hour is used up exactly then.
    expect(estimate.startsAt).toBe(at("2026-03-08T06:00Z"));
    expect(estimate.endsAt).toBe(at("2026-03-08T07:00Z"));
    const twoHours = estimateSchedule({
      recipients: 2_001,
      settings: oneHourOfSending,
      capPerSecond: 80,
      start: at("2026-03-08T00:00Z"),
      window: nights,
      timeZone: "America/New_York",
    });
    // The second hour comes the next night: 01:00 EDT on Monday is 05:00Z.
    expect(twoHours.endsAt).toBe(at("2026-03-09T06:00Z"));
  });

  it("a long campaign takes about its sending time divided by the open share of the week", () => {
    const window: WindowHours = { days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "17:00" }; // 40 h a week
    const recipients = 200_001; // 200,000 gaps of 6 s: 333 h 20 min of sending, 8 weeks and 13 h 20 min of open time
    const estimate = estimateSchedule({ recipients, settings, capPerSecond: 80, start: at("2026-03-09T09:00Z"), window, timeZone: "UTC" });
    // 8 weeks bring it to Monday 2026-05-04 09:00; 13 h 20 min more: Monday 17:00 then Tuesday 14:20.
    expect(estimate.endsAt).toBe(at("2026-05-05T14:20Z"));
    expect(estimate.days).toBe(57.22);
  });

  it("open hours per week follow the days and the span (overnight included)", () => {
    expect(openMsPerWeek({ days: ["mon", "fri"], from: "20:00", to: "02:00" })).toBe(12 * HOUR);
    expect(openMsPerWeek(WEEKDAYS_9_TO_6)).toBe(45 * HOUR);
  });
});

describe("time zones of a window and of a recipient", () => {
  it("a window without a zone takes the campaign's, else UTC", () => {
    expect(windowZone({ timezone: "Asia/Tokyo" }, "America/Sao_Paulo")).toBe("Asia/Tokyo");
    expect(windowZone({}, "America/Sao_Paulo")).toBe("America/Sao_Paulo");
    expect(windowZone({}, null)).toBe("UTC");
  });

  it("a recipient's zone is its timezone attribute when valid, else the window's", () => {
    expect(recipientZone({ timezone: "Asia/Tokyo" }, "UTC")).toBe("Asia/Tokyo");
    expect(recipientZone({ timezone: " Europe/Lisbon " }, "UTC")).toBe("Europe/Lisbon");
    expect(recipientZone({ timezone: "Mars/Base" }, "America/Sao_Paulo")).toBe("America/Sao_Paulo");
    expect(recipientZone({ timezone: "+03:00" }, "UTC")).toBe("UTC");
    expect(recipientZone({ city: "Recife" }, "UTC")).toBe("UTC");
  });
});

describe("the waiting note", () => {
  it("names the opening, and only a window note gives one back", () => {
    const note = windowWaitNote(at("2026-03-09T12:00Z"));
    expect(note).toBe("waiting for the send window until 2026-03-09T12:00:00.000Z");
    expect(windowWaitUntil(note)).toBe("2026-03-09T12:00:00.000Z");
    expect(windowWaitUntil("waiting for the messaging limit")).toBeNull();
    expect(windowWaitUntil(null)).toBeNull();
  });
});
