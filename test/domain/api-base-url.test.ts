import { describe, expect, it } from "vitest";
import { cloudBaseUrlAllowed, parseBaseUrls, sandboxBaseUrl } from "../../worker/domain/api-base-url";

describe("cloudBaseUrlAllowed", () => {
  it.each([["https://graph.facebook.com"], ["https://graph.facebook.com/"], ["https://GRAPH.facebook.com"], ["https://graph.facebook.com:443/some/prefix"]])(
    "allows Meta's Graph API: %s",
    (url) => expect(cloudBaseUrlAllowed(url, [])).toBe(true),
  );

  it.each([
    ["http://graph.facebook.com"],
    ["https://graph.facebook.com:8443"],
    ["https://graph.facebook.com.evil.example"],
    ["https://evil.example/graph.facebook.com"],
    ["https://user:pass@graph.facebook.com"],
    ["https://graph.facebook.com@evil.example"],
    ["https://graph.facebook.com?next=https://evil.example"],
    ["https://graph.facebook.com#x"],
    ["http://localhost:8787/sandbox/graph"],
    ["not a url"],
  ])("refuses %s", (url) => expect(cloudBaseUrlAllowed(url, [])).toBe(false));

  it("allows URLs under an extra base URL, path included, and nothing beside it", () => {
    const extra = parseBaseUrls(" http://127.0.0.1:9999/graph/ , nonsense");
    expect(extra).toEqual(["http://127.0.0.1:9999/graph"]);
    expect(cloudBaseUrlAllowed("http://127.0.0.1:9999/graph", extra)).toBe(true);
    expect(cloudBaseUrlAllowed("http://127.0.0.1:9999/graph/v1", extra)).toBe(true);
    expect(cloudBaseUrlAllowed("http://127.0.0.1:9999/graphs", extra)).toBe(false);
    expect(cloudBaseUrlAllowed("http://127.0.0.1:9999", extra)).toBe(false);
    expect(cloudBaseUrlAllowed("http://127.0.0.1:9998/graph", extra)).toBe(false);
    expect(parseBaseUrls(undefined)).toEqual([]);
    expect(parseBaseUrls("")).toEqual([]);
  });
});

describe("sandboxBaseUrl", () => {
  it("is the app's simulator path on any origin", () => {
    expect(sandboxBaseUrl("http://localhost/sandbox/graph")).toBe(true);
    expect(sandboxBaseUrl("https://herald.example.com/sandbox/graph/")).toBe(true);
    expect(sandboxBaseUrl("https://evil.example.com")).toBe(false);
    expect(sandboxBaseUrl("https://evil.example.com/sandbox/graph/extra")).toBe(false);
  });
});
