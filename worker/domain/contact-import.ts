import { type CsvRecord, MAX_CSV_RECORD_CHARS } from "./csv";
import { normalizePhone } from "./phone";

export type ImportColumnMap = {
  name?: number;
  phone: number;
  labels?: number;
  attributes: { index: number; key: string }[];
  /** Header width. When absent, the highest mapped index + 1 is used. */
  columns?: number;
};

export type ImportRow = {
  line: number;
  name: string | null;
  phone: string;
  labels: string[];
  attributes: Record<string, string>;
};

export type ImportError = { line: number; reason: string };

export const MAX_NAME_LENGTH = 200;
export const MAX_LABEL_LENGTH = 50;
export const MAX_ATTRIBUTE_LENGTH = 1000;

type Role = "name" | "phone" | "labels";

const ROLE_ALIASES: Record<Role, string[]> = {
  name: ["name", "nome", "full name", "full_name", "contact", "contato"],
  phone: ["phone", "telefone", "whatsapp", "celular", "mobile", "phone number", "phone_number", "number", "número", "numero"],
  labels: ["labels", "label", "tags", "tag", "etiquetas"],
};

// Aliases are compared by attribute key, so "Full Name", "full_name" and "FULL-NAME" all match.
const ROLE_BY_KEY = new Map<string, Role>(
  (Object.keys(ROLE_ALIASES) as Role[]).flatMap((role) => ROLE_ALIASES[role].map((alias) => [attributeKey(alias), role] as const)),
);

const LABEL_SEPARATOR = /[|;,]/;

/**
 * Works out which CSV column holds the name, phone and labels; every other named column becomes
 * a custom attribute. Header matching ignores case, surrounding spaces and accents.
 *
 * @example
 * mapImportHeader(["Nome", "Celular", "Etiquetas", "Data de Nascimento"]);
 * // { ok: true, map: { name: 0, phone: 1, labels: 2, columns: 4,
 * //   attributes: [{ index: 3, key: "data_de_nascimento" }] } }
 */
export function mapImportHeader(header: string[]): { ok: true; map: ImportColumnMap } | { ok: false; reason: string } {
  const roles: Partial<Record<Role, number>> = {};
  const attributes: { index: number; key: string }[] = [];
  const attributeColumn = new Map<string, string>();

  for (const [index, cell] of header.entries()) {
    const title = cell.trim();
    if (title === "") continue;
    const key = attributeKey(title);
    const role = ROLE_BY_KEY.get(key);
    if (role) {
      const taken = roles[role];
      if (taken !== undefined) {
        return {
          ok: false,
          reason: `two ${role} columns: ${JSON.stringify(header[taken]?.trim())} and ${JSON.stringify(title)}; keep one or rename the other`,
        };
      }
      roles[role] = index;
      continue;
    }
    if (key === "") {
      return {
        ok: false,
        reason: `column ${JSON.stringify(title)} has no letters or digits to name an attribute; rename it`,
      };
    }
    const clash = attributeColumn.get(key);
    if (clash !== undefined) {
      return {
        ok: false,
        reason: `columns ${JSON.stringify(clash)} and ${JSON.stringify(title)} both become the attribute "${key}"; rename one`,
      };
    }
    attributeColumn.set(key, title);
    attributes.push({ index, key });
  }

  if (roles.phone === undefined) {
    const names = ROLE_ALIASES.phone.map((alias) => JSON.stringify(alias)).join(", ");
    return { ok: false, reason: `no phone column: the header needs one of ${names}` };
  }
  const map: ImportColumnMap = { phone: roles.phone, attributes, columns: header.length };
  if (roles.name !== undefined) map.name = roles.name;
  if (roles.labels !== undefined) map.labels = roles.labels;
  return { ok: true, map };
}

/**
 * Validates CSV records against a column map and turns them into contact rows. A record with any
 * problem becomes an error instead of a row; a phone seen on an earlier line is an error too.
 *
 * @example
 * const { rows, errors } = readImportRows(
 *   [{ line: 2, fields: ["Ana", "(11) 98765-4321", "vip|sp"] }],
 *   { name: 0, phone: 1, labels: 2, attributes: [] },
 *   "BR",
 * );
 * // rows: [{ line: 2, name: "Ana", phone: "+5511987654321", labels: ["vip", "sp"], attributes: {} }]
 * // errors: []
 */
export function readImportRows(records: CsvRecord[], map: ImportColumnMap, defaultCountry: string): { rows: ImportRow[]; errors: ImportError[] } {
  const read = createImportReader(map, defaultCountry);
  const rows: ImportRow[] = [];
  const errors: ImportError[] = [];
  const ordered = isSortedByLine(records) ? records : [...records].sort((a, b) => a.line - b.line);
  for (const record of ordered) {
    const result = read(record);
    if ("reason" in result) errors.push(result);
    else rows.push(result);
  }
  return { rows, errors };
}

/**
 * The record-by-record form of `readImportRows`, for files read as a stream: it remembers the
 * phones it has seen, so records must come in line order.
 *
 * @example
 * const read = createImportReader(map, "BR");
 * for (const record of file.records()) { const r = read(record); if ("reason" in r) errors.push(r); }
 */
export function createImportReader(map: ImportColumnMap, defaultCountry: string): (record: CsvRecord) => ImportRow | ImportError {
  const columns = map.columns ?? highestIndex(map) + 1;
  const firstLineByPhone = new Map<string, number>();

  return ({ line, fields, tooLong }) => {
    if (tooLong) return { line, reason: `the row is longer than ${MAX_CSV_RECORD_CHARS.toLocaleString("en")} characters` };
    if (fields.length > columns && fields.slice(columns).some((f) => f.trim() !== "")) {
      return { line, reason: `expected ${columns} fields, found ${fields.length}` };
    }

    const problems: string[] = [];

    let phone = "";
    const rawPhone = (fields[map.phone] ?? "").trim();
    if (rawPhone === "") {
      problems.push("phone is empty");
    } else {
      const normalized = normalizePhone(rawPhone, defaultCountry);
      if (!normalized.ok) {
        problems.push(normalized.reason);
      } else {
        phone = normalized.e164;
        const seenOn = firstLineByPhone.get(phone);
        if (seenOn !== undefined) problems.push(`phone ${phone} already appears on line ${seenOn}`);
        else firstLineByPhone.set(phone, line);
      }
    }

    let name: string | null = null;
    if (map.name !== undefined) {
      const value = (fields[map.name] ?? "").trim();
      if (value !== "") name = value;
      if (exceeds(value, MAX_NAME_LENGTH)) problems.push(`name is longer than ${MAX_NAME_LENGTH} characters`);
    }

    const labels: string[] = [];
    if (map.labels !== undefined) {
      const seen = new Set<string>();
      for (const part of (fields[map.labels] ?? "").split(LABEL_SEPARATOR)) {
        const label = part.trim();
        if (label === "") continue;
        const folded = labelKey(label);
        if (seen.has(folded)) continue;
        seen.add(folded);
        if (exceeds(label, MAX_LABEL_LENGTH)) {
          problems.push(`label ${JSON.stringify(truncate(label))} is longer than ${MAX_LABEL_LENGTH} characters`);
        } else {
          labels.push(label);
        }
      }
    }

    const attributes: Record<string, string> = {};
    for (const { index, key } of map.attributes) {
      const value = (fields[index] ?? "").trim();
      if (value === "") continue;
      if (exceeds(value, MAX_ATTRIBUTE_LENGTH)) {
        problems.push(`value in column "${key}" is longer than ${MAX_ATTRIBUTE_LENGTH} characters`);
      } else {
        attributes[key] = value;
      }
    }

    if (problems.length > 0) return { line, reason: problems.join("; ") };
    return { line, name, phone, labels, attributes };
  };
}

/**
 * The identity of a label name: case-insensitive for A–Z only, exactly like SQLite's NOCASE
 * collation that the labels table's unique index uses ("VIP" = "vip", "Ótimo" ≠ "ótimo").
 *
 * @example labelKey("VIP Clients") // "vip clients"
 */
export function labelKey(name: string): string {
  return name.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * Turns a CSV column title into an attribute key usable as a template variable: lower case,
 * accents removed, every run of other characters replaced by "_".
 *
 * @example
 * attributeKey("Data de Nascimento"); // "data_de_nascimento"
 * attributeKey(" City "); // "city"
 */
export function attributeKey(headerName: string): string {
  return headerName
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

/** Limits count characters (code points), not UTF-16 units, so emoji are not double-counted. */
function exceeds(value: string, max: number): boolean {
  if (value.length <= max) return false;
  let count = 0;
  for (const _ of value) if (++count > max) return true;
  return false;
}

function truncate(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

function highestIndex(map: ImportColumnMap): number {
  let max = map.phone;
  if (map.name !== undefined) max = Math.max(max, map.name);
  if (map.labels !== undefined) max = Math.max(max, map.labels);
  for (const { index } of map.attributes) max = Math.max(max, index);
  return max;
}

function isSortedByLine(records: CsvRecord[]): boolean {
  for (let i = 1; i < records.length; i++) {
    if ((records[i]?.line ?? 0) < (records[i - 1]?.line ?? 0)) return false;
  }
  return true;
}
