import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";

/** Most bytes a request body under /api may have, unless its route is in ROUTE_LIMITS. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/**
 * Routes whose largest valid body is over 64 kB get a larger limit; `null` marks a route that
 * reads its body as a stream and enforces its own limit (the CSV import, 50 MB).
 */
const ROUTE_LIMITS: { method: string; path: RegExp; bytes: number | null }[] = [
  { method: "POST", path: /^\/api\/contacts\/import$/, bytes: null },
  // Ten text variants of 4,096 characters each in a script of 3 bytes a character (Hindi, Thai…).
  { method: "POST", path: /^\/api\/campaigns$/, bytes: 256 * 1024 },
  { method: "PATCH", path: /^\/api\/campaigns\/[^/]+$/, bytes: 256 * 1024 },
  // 50 attributes of 1,000 characters.
  { method: "POST", path: /^\/api\/contacts$/, bytes: 256 * 1024 },
  { method: "PATCH", path: /^\/api\/contacts\/[^/]+$/, bytes: 256 * 1024 },
  // 10,000 contact ids.
  { method: "POST", path: /^\/api\/contacts\/labels$/, bytes: 256 * 1024 },
];

const tooLarge = (limit: number) =>
  new ApiError("payload_too_large", `the request body is larger than ${limit / 1024} kB, the limit for this request`, { limit_bytes: limit });

/**
 * Refuses a request body over its route's limit (64 kB for most) with 413. A Content-Length over
 * the limit is refused without reading; otherwise the bytes are counted as they are read, so a
 * streamed body (or one whose Content-Length understates it) is cut off at the limit. The bytes
 * read are handed on to the route as the request's body.
 */
export const bodyLimit = createMiddleware<AppEnv>(async (c, next) => {
  const body = c.req.raw.body;
  if (body === null) return next();
  const special = ROUTE_LIMITS.find((r) => r.method === c.req.method && r.path.test(c.req.path));
  if (special?.bytes === null) return next();
  const limit = special?.bytes ?? MAX_JSON_BODY_BYTES;
  if (Number(c.req.header("content-length")) > limit) throw tooLarge(limit);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  c.req.raw = new Request(c.req.raw, { body: bytes });
  await next();
});
