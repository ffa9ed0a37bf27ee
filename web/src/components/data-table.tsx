import type { ComponentChildren } from "preact";

/** One column: its header (`hiddenLabel`: read by screen readers only), numeric alignment, and its cell for a row. */
export type Column<T> = {
  label: string;
  hiddenLabel?: boolean;
  numeric?: boolean;
  cell: (row: T) => ComponentChildren;
};

/**
 * A table of rows that scrolls sideways on its own on a narrow screen: the scrolling region is
 * focusable (so the keyboard can scroll it) and named by `label`. `data` becomes the table's
 * `data-*` attribute (e.g. "cost-lines"); `rowData` gives each row's `data-*` attributes.
 */
export function DataTable<T>({
  label,
  caption,
  data,
  columns,
  rows,
  rowKey,
  rowData,
}: {
  label: string;
  caption?: string;
  data: string;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  rowData?: (row: T) => Record<string, string | number>;
}) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={label}>
      <table class="table" {...{ [`data-${data}`]: true }}>
        {caption && <caption class="visually-hidden">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" class={c.numeric ? "num" : undefined}>
                {c.hiddenLabel ? <span class="visually-hidden">{c.label}</span> : c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} {...Object.fromEntries(Object.entries(rowData?.(row) ?? {}).map(([k, v]) => [`data-${k}`, v]))}>
              {columns.map((c) => (
                <td key={c.label} class={c.numeric ? "num" : undefined}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
