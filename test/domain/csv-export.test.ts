import { describe, expect, it } from "vitest";
import { csvCell, csvLine } from "../../worker/domain/csv-export";

describe("csv export", () => {
  it("neutralises formulas", () => {
    for (const evil of ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]) expect(csvCell(evil).replace(/^"/, "").startsWith("'")).toBe(true);
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
  });

  it("quotes every text cell and leaves numbers bare", () => {
    expect(csvCell("Ana, Bia")).toBe('"Ana, Bia"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell("+5511987654321")).toBe(`"'+5511987654321"`);
    expect(csvCell("Ana")).toBe('"Ana"');
    expect(csvCell("")).toBe('""');
    expect(csvCell(null)).toBe("");
    expect(csvCell(-3)).toBe("-3");
    expect(csvLine(["a", 1, null])).toBe('"a",1,\r\n');
  });

  it("guards a formula after any separator a spreadsheet may split on (`;` in pt-BR)", () => {
    expect(csvCell("Ana;=cmd|' /C calc'!A0")).toBe(`"Ana;'=cmd|' /C calc'!A0"`);
    expect(csvCell("x,+1;-2\t@SUM(A1)")).toBe(`"x,'+1;'-2\t'@SUM(A1)"`);
    expect(csvCell("a\n=1")).toBe(`"a\n'=1"`);
    // Plain separators and formula characters elsewhere are left alone.
    expect(csvCell("Ana; Bia - 2=2")).toBe('"Ana; Bia - 2=2"');
    // Whatever the separator, no part of the cell (split on `,` `;` tab or line break) starts a formula.
    for (const evil of ["Ana;=1+1", "x,@A1", "y;\t=2", "z\r\n+3"]) {
      const inside = csvCell(evil).slice(1, -1);
      for (const part of inside.split(/[,;\t\r\n]/)) expect(part, evil).not.toMatch(/^[=+\-@]/);
    }
  });
});
