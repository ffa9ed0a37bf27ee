const encoder = new TextEncoder();

/** Value of each hex digit by char code (-1 for anything else). */
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX["0123456789abcdef".charCodeAt(i)] = i;
  HEX["0123456789ABCDEF".charCodeAt(i)] = i;
}

function hexToBytes(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = HEX[hex.charCodeAt(i * 2)] ?? -1;
    const lo = HEX[hex.charCodeAt(i * 2 + 1)] ?? -1;
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

export async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

/**
 * Checks Meta's `X-Hub-Signature-256: sha256=<hex>` over the raw body bytes. WebCrypto's verify
 * compares in constant time.
 * @example await verifySignature(await hmacKey(appSecret), rawBody, request.headers.get("x-hub-signature-256"))
 */
export async function verifySignature(key: CryptoKey, body: ArrayBuffer, header: string | null | undefined): Promise<boolean> {
  if (!header) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  const signature = match ? hexToBytes(match[1]!) : null;
  if (!signature) return false;
  return crypto.subtle.verify("HMAC", key, signature, body);
}

/** `sha256=<hex>` for a body, as Meta (and the sandbox) sign it. */
export async function signBody(key: CryptoKey, body: ArrayBuffer | Uint8Array | string): Promise<string> {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes));
  return `sha256=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
