const encoder = new TextEncoder();

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let hex = "";
  for (let i = 0; i < view.length; i++) hex += view[i]!.toString(16).padStart(2, "0");
  return hex;
}

/** A random URL-safe token with `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return toBase64(raw).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Compares two strings without leaking where they differ through timing. */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  if (left.byteLength !== right.byteLength) {
    crypto.subtle.timingSafeEqual(left, left);
    return false;
  }
  return crypto.subtle.timingSafeEqual(left, right);
}

/** workerd caps PBKDF2 at 100,000 iterations; that is the work factor used. */
export const PBKDF2_ITERATIONS = 100_000;
const PASSWORD_SCHEME = "pbkdf2_sha256";

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

/**
 * Hashes a password as `pbkdf2_sha256$iterations$salt$hash` with a fresh 16-byte salt.
 * @example const stored = await hashPassword("correct horse battery staple")
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await pbkdf2(password, salt, PBKDF2_ITERATIONS);
  return [PASSWORD_SCHEME, PBKDF2_ITERATIONS, toBase64(salt), toBase64(hash)].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iterations, salt, hash] = stored.split("$");
  if (scheme !== PASSWORD_SCHEME || !iterations || !salt || !hash) return false;
  const actual = await pbkdf2(password, fromBase64(salt), Number(iterations));
  return timingSafeEqual(toBase64(actual), hash);
}

/** Runs one PBKDF2 so that a login for an unknown email costs as much as one for a known email. */
export async function burnPasswordCheck(password: string): Promise<void> {
  await pbkdf2(password, new Uint8Array(16), PBKDF2_ITERATIONS);
}

const CIPHER_VERSION = "v1";

async function importAesKey(keyBase64: string | undefined): Promise<CryptoKey> {
  if (!keyBase64) throw new Error("HERALD_ENCRYPTION_KEY is not set");
  const raw = fromBase64(keyBase64.trim());
  if (raw.byteLength !== 32) throw new Error("HERALD_ENCRYPTION_KEY must be base64 of 32 bytes");
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** Throws unless `keyBase64` is a usable encryption key (base64 of 32 bytes). */
export async function assertEncryptionKey(keyBase64: string | undefined): Promise<void> {
  await importAesKey(keyBase64);
}

/**
 * Encrypts a secret with AES-256-GCM; the result is `v1:<iv>:<ciphertext>` in base64.
 * `context` is bound as additional data, so a ciphertext copied to another row does not decrypt.
 */
export async function encryptSecret(keyBase64: string | undefined, plaintext: string, context: string): Promise<string> {
  const key = await importAesKey(keyBase64);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const cipher = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(context) }, key, encoder.encode(plaintext));
  return `${CIPHER_VERSION}:${toBase64(iv)}:${toBase64(new Uint8Array(cipher))}`;
}

export async function decryptSecret(keyBase64: string | undefined, sealed: string, context: string): Promise<string> {
  const [version, iv, data] = sealed.split(":");
  if (version !== CIPHER_VERSION || !iv || !data) throw new Error("unrecognised ciphertext");
  const key = await importAesKey(keyBase64);
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv), additionalData: encoder.encode(context) }, key, fromBase64(data));
  return new TextDecoder().decode(plain);
}
