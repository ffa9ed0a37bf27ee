/**
 * Every area's messages merged into one catalogue per locale. Each area module exports
 * `{ en, "pt-BR" }` where the Portuguese object must have exactly the English keys (the
 * `Messages` type makes a missing or extra key a type error; the catalogue test checks it too).
 */
import * as areas from "./messages";

type Areas = typeof areas;
type Keys<T> = T extends { en: infer E } ? keyof E & string : never;
export type MessageKey = { [A in keyof Areas]: Keys<Areas[A]> }[keyof Areas];

function merge(lang: "en" | "pt-BR"): Record<MessageKey, string> {
  const out: Record<string, string> = {};
  for (const area of Object.values(areas) as { en: Record<string, string>; "pt-BR": Record<string, string> }[]) Object.assign(out, area[lang]);
  return out as Record<MessageKey, string>;
}

export const catalogue = { en: merge("en"), "pt-BR": merge("pt-BR") };

/** For the test: each area's key lists per language. */
export const areaKeys = Object.fromEntries(
  Object.entries(areas).map(([name, area]) => [
    name,
    { en: Object.keys((area as { en: object }).en), "pt-BR": Object.keys((area as { "pt-BR": object })["pt-BR"]) },
  ]),
);
