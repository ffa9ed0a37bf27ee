/** Meta's Graph API: the only host a Cloud API inbox's access token is sent to in production. */
export const CLOUD_API_BASE_URL = "https://graph.facebook.com";

/** Where the built-in WhatsApp simulator answers, relative to the app's own origin. */
export const SANDBOX_PATH = "/sandbox/graph";

/**
 * The base URLs of a comma-separated list, trailing slashes dropped; entries that are not URLs
 * are left out.
 * @example parseBaseUrls(" https://graph.herald.test/, nonsense") // ["https://graph.herald.test"]
 */
export function parseBaseUrls(list: string | undefined): string[] {
  return (list ?? "")
    .split(",")
    .map((entry) => entry.trim().replace(/\/+$/, ""))
    .filter((entry) => URL.canParse(entry));
}

/**
 * Whether a Cloud API inbox may send its access token to `baseUrl`: Meta's Graph API under any
 * path, or a URL under one of `extra` (same scheme, host and port, and its path as a prefix).
 * Credentials, a query or a fragment in the URL are never allowed.
 * @example cloudBaseUrlAllowed("https://graph.facebook.com", []) // true
 * @example cloudBaseUrlAllowed("https://graph.facebook.com.evil.example", []) // false
 */
export function cloudBaseUrlAllowed(baseUrl: string, extra: readonly string[]): boolean {
  if (!URL.canParse(baseUrl)) return false;
  const url = new URL(baseUrl);
  if (url.username || url.password || url.search || url.hash) return false;
  const path = url.pathname.replace(/\/+$/, "");
  return [CLOUD_API_BASE_URL, ...extra].some((entry) => {
    if (!URL.canParse(entry)) return false;
    const allowed = new URL(entry);
    const prefix = allowed.pathname.replace(/\/+$/, "");
    return allowed.origin === url.origin && (prefix === "" || path === prefix || path.startsWith(`${prefix}/`));
  });
}

/**
 * Whether `baseUrl` is a sandbox inbox's API: the app's simulator path. The sandbox client reaches
 * it in-process, so the host never receives anything.
 * @example sandboxBaseUrl("http://localhost:8787/sandbox/graph") // true
 */
export function sandboxBaseUrl(baseUrl: string): boolean {
  if (!URL.canParse(baseUrl)) return false;
  const url = new URL(baseUrl);
  return !url.username && !url.password && url.pathname.replace(/\/+$/, "") === SANDBOX_PATH && !url.search && !url.hash;
}
