import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../lib/context";
import { ApiError } from "../lib/errors";

/** Most bytes a request body under /api may have, except on the routes of OWN_LIMIT_ROUTES. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/** Routes that read their body as a stream and enforce their own, larger limit. */
const OWN_LIMIT_ROUTES = new Set(["POST /api/contacts/import"]);

const tooLarge = () =>
  new ApiError("payload_too_large", `the request body is larger than ${MAX_JSON_BODY_BYTES / 1024} kB, the limit for JSON bodies`, {
    limit_bytes: MAX_JSON_BODY_BYTES,
  });

/**
 * Refuses a request body over MAX_JSON_BODY_BYTES with 413. A Content-Length over the limit is
 * refused without reading; otherwise the bytes are counted as they are read, so a streamed body
 * (or one whose Content-Length understates it) is cut off at the limit. The body read is handed
 * on to the route as the request's body.
 */
export const jsonBodyLimit = createMiddleware<AppEnv>(async (c, next) => {
  const body = c.req.raw.body;
  if (body === null || OWN_LIMIT_ROUTES.has(`${c.req.method} ${c.req.path}`)) return next();
  if (Number(c.req.header("content-length")) > MAX_JSON_BODY_BYTES) throw tooLarge();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_JSON_BODY_BYTES) {
      reader.cancel().catch(() => {});
      throw tooLarge();
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
