// Password hashing and strength. Hashes use scrypt (memory-hard, in Node's own crypto, so no
// native package to rebuild for Electron) with a random salt per password; verification compares
// in constant time. The cost is stored with each hash, so it can be raised later without breaking
// existing passwords.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface PasswordHash {
  algorithm: 'scrypt';
  /** CPU/memory cost N, block size r, parallelism p (RFC 7914). */
  N: number;
  r: number;
  p: number;
  saltB64: string;
  hashB64: string;
}

/** 2^15 × 8 × 128 bytes = 32 MiB and about 0.1 s per hash on a small PC: OWASP's scrypt minimum is 2^17 with r 8 for servers; a village console signs in a few people a day. */
export const SCRYPT_COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 64;

function scryptAsync(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

const maxmem = (N: number, r: number) => 256 * N * r;

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const { N, r, p } = SCRYPT_COST;
  const key = await scryptAsync(password, salt, { N, r, p, maxmem: maxmem(N, r) });
  return { algorithm: 'scrypt', N, r, p, saltB64: salt.toString('base64'), hashB64: key.toString('base64') };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hashB64, 'base64');
  const key = await scryptAsync(password, Buffer.from(stored.saltB64, 'base64'), {
    N: stored.N,
    r: stored.r,
    p: stored.p,
    maxmem: maxmem(stored.N, stored.r),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash that matches no password, verified against for unknown users so that timing does not tell which names exist. */
let decoy: Promise<PasswordHash> | null = null;
export function decoyHash(): Promise<PasswordHash> {
  decoy ??= hashPassword(randomBytes(24).toString('base64'));
  return decoy;
}

export const MIN_PASSWORD_LENGTH = 12;

/** Passwords that pass the length rule but are first in every guessing list. */
const COMMON = new Set([
  'password1234',
  'passwordpassword',
  '123456789012',
  'qwertyuiop12',
  'administrator',
  'commonwatt123',
  'letmein12345',
  'iloveyou1234',
]);

/**
 * Why a password is too weak (IEC 62443-4-2 CR 1.7), or null. Length is what makes a password
 * strong; the other rules catch the few long ones that are guessed first.
 */
export function passwordWeakness(user: string, password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH)
    return `a password needs at least ${MIN_PASSWORD_LENGTH} characters (this one has ${password.length})`;
  if (password.length > 1024) return 'a password may have at most 1024 characters';
  const lower = password.toLowerCase();
  if (user.length >= 3 && lower.includes(user.toLowerCase()))
    return 'a password must not contain the user name';
  if (new Set(password).size < 5) return 'a password needs at least 5 different characters';
  if (COMMON.has(lower)) return 'this password is one of the first that attackers try';
  return null;
}
