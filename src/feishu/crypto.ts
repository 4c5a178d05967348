import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';

/**
 * Feishu's event encryption: AES-256-CBC, key = SHA-256(Encrypt Key), body = base64(iv ‖ ciphertext), PKCS#7 padding.
 * Throws on anything that does not decrypt.
 */
export function decryptEvent(encryptKey: string, encrypted: string): string {
  const key = createHash('sha256').update(encryptKey).digest();
  const raw = Buffer.from(encrypted, 'base64');
  if (raw.length < 32 || raw.length % 16 !== 0) throw new Error('encrypted body has an impossible length');
  const decipher = createDecipheriv('aes-256-cbc', key, raw.subarray(0, 16));
  return Buffer.concat([decipher.update(raw.subarray(16)), decipher.final()]).toString('utf8');
}

/** hex(sha256(timestamp + nonce + encryptKey + rawBody)), compared in constant time. */
export function isSignatureValid(input: {
  timestamp: string;
  nonce: string;
  signature: string;
  encryptKey: string;
  rawBody: string;
}): boolean {
  const expected = createHash('sha256')
    .update(input.timestamp + input.nonce + input.encryptKey)
    .update(input.rawBody)
    .digest('hex');
  const given = Buffer.from(input.signature, 'utf8');
  const wanted = Buffer.from(expected, 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Constant-time string comparison for tokens. */
export function safeEqual(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
