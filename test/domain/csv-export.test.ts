import { describe, expect, it } from "vitest";
import { csvCell, csvLine } from "../../worker/domain/csv-export";

describe("csv export", () => {
  it("neutralises formulas", () => {
    for (const evil of ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]) expect(csvCell(evil).replace(/^"/, "").startsWith("'")).toBe(true);
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
  });

  it("quotes separators, quotes and line breaks, and leaves plain text alone", () => {
    expect(csvCell("Ana, Bia")).toBe('"Ana, Bia"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell("+5511987654321")).toBe("'+5511987654321");
    expect(csvCell("Ana")).toBe("Ana");
    expect(csvCell(null)).toBe("");
    expect(csvCell(-3)).toBe("-3");
    expect(csvLine(["a", 1, null])).toBe("a,1,\r\n");
  });
});
