/**
 * Structured log lines: one JSON object per line, so Workers Logs indexes every field (filter
 * by `event`, `workspace_id`, `campaign_id`, `inbox_id`). `event` names what happened, dotted by
 * area (`campaign.transition`, `campaign.auto_pause`, `dead_letter.recorded`, `webhooks.job_failed`).
 *
 * @example
 * logEvent("warn", "campaign.auto_pause", { workspace_id: 1, campaign_id: 7, reason: "5 of the last 20 sends failed" });
 * // {"level":"warn","event":"campaign.auto_pause","workspace_id":1,"campaign_id":7,"reason":"5 of the last 20 sends failed"}
 */

export type LogLevel = "info" | "warn" | "error";

/** Fields of a log line; an `error` is written as its message (and its stack under `stack`). */
export type LogFields = Record<string, unknown> & { error?: unknown };

/** The message of anything thrown. */
export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Writes one structured log line at `level`. */
export function logEvent(level: LogLevel, event: string, fields: LogFields = {}): void {
  const { error, ...rest } = fields;
  const line: Record<string, unknown> = { level, event, ...rest };
  if (error !== undefined) {
    line.error = errorMessage(error);
    if (error instanceof Error && error.stack) line.stack = error.stack;
  }
  const text = JSON.stringify(line);
  if (level === "error") console.error(text);
  else if (level === "warn") console.warn(text);
  else console.log(text);
}
