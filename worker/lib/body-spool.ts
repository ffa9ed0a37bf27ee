/** Bytes handed to a reader at a time: a larger chunk of the request body is split into pieces this size. */
export const SPOOL_PIECE_BYTES = 64 * 1024;

export type SpooledBody =
  | { ok: true; bytes: number /** The body again, once, from its compressed copy. */; replay(): ReadableStream<Uint8Array> }
  | { ok: false; bytes: number; tooLarge: boolean };

/**
 * Reads a request body once, handing it to `inspect` piece by piece (at most SPOOL_PIECE_BYTES
 * each) as it arrives, and keeps a deflate-compressed copy to read it a second time: memory holds
 * the compressed body and one piece, never the body itself. Reading stops at `maxBytes` (the
 * answer is then `tooLarge`). Once `inspect` answers false the body will not be read again: the
 * copy is dropped, and the rest is still inspected but no longer kept.
 *
 * @example
 * const body = await spoolBody(request.body, 50 * 1024 * 1024, (piece) => check(piece));
 * if (body.ok) for await (const piece of body.replay()) use(piece);
 */
export async function spoolBody(body: ReadableStream<Uint8Array> | null, maxBytes: number, inspect: (piece: Uint8Array) => boolean): Promise<SpooledBody> {
  const compressor = new CompressionStream("deflate-raw");
  const writer = compressor.writable.getWriter();
  let parts: Uint8Array[] = [];
  const collected = (async () => {
    const reader = compressor.readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parts.push(value);
    }
  })();
  collected.catch(() => {});
  let keeping = true;
  const stopKeeping = () => {
    if (!keeping) return;
    keeping = false;
    parts = [];
    writer.abort().catch(() => {});
  };

  let bytes = 0;
  const reader = body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      reader.cancel().catch(() => {});
      stopKeeping();
      return { ok: false, bytes, tooLarge: true };
    }
    for (let at = 0; at < value.byteLength; at += SPOOL_PIECE_BYTES) {
      const piece = value.subarray(at, at + SPOOL_PIECE_BYTES);
      if (keeping) await writer.write(piece);
      if (!inspect(piece)) stopKeeping();
    }
  }
  if (!keeping) return { ok: false, bytes, tooLarge: false };
  await writer.close();
  await collected;

  const kept = parts;
  parts = [];
  let next = 0;
  return {
    ok: true,
    bytes,
    replay() {
      const compressed = new ReadableStream<Uint8Array>({
        pull(controller) {
          const part = kept[next];
          if (part === undefined) return controller.close();
          // Each compressed part is let go once read, so memory shrinks as the replay goes on.
          kept[next++] = undefined as unknown as Uint8Array;
          controller.enqueue(part);
        },
      });
      return compressed.pipeThrough(new DecompressionStream("deflate-raw"));
    },
  };
}

/** The stream's chunks, each split into pieces of at most SPOOL_PIECE_BYTES. */
export async function* pieces(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (let at = 0; at < value.byteLength; at += SPOOL_PIECE_BYTES) yield value.subarray(at, at + SPOOL_PIECE_BYTES);
  }
}
