/** Campaign titles: how long one may be, and how a made-up one (a copy's) is cut to fit. */

/** Longest campaign title. */
export const MAX_TITLE_LENGTH = 200;

/**
 * A title cut to MAX_TITLE_LENGTH, never inside a character.
 * @example fitTitle(`Copy of ${title}`)
 */
export function fitTitle(title: string): string {
  if (title.length <= MAX_TITLE_LENGTH) return title;
  const cut = title.slice(0, MAX_TITLE_LENGTH);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
