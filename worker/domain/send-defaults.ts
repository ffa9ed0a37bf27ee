/**
 * The send settings a campaign gets when none are given: slow, small and varied, which keeps a
 * number's quality rating healthy. Plain values (no zod), so the web editor starts from the same
 * ones the API fills in.
 */
export const SEND_SETTING_DEFAULTS = {
  min_delay_s: 3,
  max_delay_s: 8,
  batch_size: 50,
  batch_pause_s: 0,
  randomize_variants: true,
  failure_threshold: 0.5,
  failure_window: 50,
} as const;
