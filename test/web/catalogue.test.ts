import { describe, expect, it } from "vitest";
import { areaKeys, catalogue } from "../../web/src/i18n/catalogue";

describe("the UI's message catalogues", () => {
  it("have the same keys in English and Portuguese, area by area", () => {
    for (const [area, keys] of Object.entries(areaKeys)) {
      expect({ area, missingInPortuguese: keys.en.filter((k) => !keys["pt-BR"].includes(k)) }).toEqual({ area, missingInPortuguese: [] });
      expect({ area, missingInEnglish: keys["pt-BR"].filter((k) => !keys.en.includes(k)) }).toEqual({ area, missingInEnglish: [] });
    }
  });

  it("never leave a message empty, and keep the same placeholders in both languages", () => {
    for (const [key, en] of Object.entries(catalogue.en)) {
      const pt = catalogue["pt-BR"][key as keyof typeof catalogue.en];
      expect(en.trim(), key).not.toBe("");
      expect(pt.trim(), key).not.toBe("");
      const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(names(pt), key).toEqual(names(en));
    }
  });

  it("use keys prefixed with their area's name, so areas never collide", () => {
    for (const [area, keys] of Object.entries(areaKeys)) for (const k of keys.en) expect(k.startsWith(`${area}.`), k).toBe(true);
  });
});
