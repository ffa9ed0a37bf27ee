import { messages } from "./types";

/** Durations in words. */
export const format = messages(
  {
    "format.seconds": "{n} s",
    "format.minutes": "{n} min",
    "format.hours": "{h} h",
    "format.hoursMinutes": "{h} h {m} min",
    "format.days": "{d} days",
    "format.daysHours": "{d} days {h} h",
  },
  {
    "format.seconds": "{n} s",
    "format.minutes": "{n} min",
    "format.hours": "{h} h",
    "format.hoursMinutes": "{h} h {m} min",
    "format.days": "{d} dias",
    "format.daysHours": "{d} dias {h} h",
  },
);
