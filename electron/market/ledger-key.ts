// The ledger's signing key: one Ed25519 key pair per ledger. The private half lives OUTSIDE the
// data directory (a key store: by default the user's config directory, in the desktop app possibly
// the OS keychain through Electron's safeStorage), so whoever can edit DIR can recompute the hash
// chain but cannot sign its head. The public half is kept beside the ledger (DIR/ledger.pub) so
// anyone can verify, and its fingerprint is printed on every statement, so an auditor without
// access to this machine can tell a replaced public key from the real one.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Loads and saves a ledger's private key (PKCS#8 DER bytes), by ledger id. */
export interface LedgerKeyStore {
  /** Where the keys are, for messages a person reads. */
  readonly location: string;
  load(ledgerId: string): Uint8Array | null;
  /** Never overwrites a key: a ledger's key is written once. */
  save(ledgerId: string, privateKeyDer: Uint8Array): void;
}

export const LEDGER_KEY_DIR_ENV = 'COMMONWATT_LEDGER_KEY_DIR';

/** $COMMONWATT_LEDGER_KEY_DIR, else ($XDG_CONFIG_HOME or ~/.config)/commonwatt/ledger-keys. */
export function defaultLedgerKeyDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[LEDGER_KEY_DIR_ENV];
  if (override) return path.resolve(override);
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const config =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : path.join(os.homedir(), '.config');
  return path.join(config, 'commonwatt', 'ledger-keys');
}

const LEDGER_ID = /^[A-Za-z0-9-]{8,64}$/;

export function checkLedgerId(ledgerId: string): string {
  if (!LEDGER_ID.test(ledgerId))
    throw new Error(`'${ledgerId}' is not a ledger id (8 to 64 letters, digits or dashes)`);
  return ledgerId;
}

/** Keys as PEM files, DIR/<ledger id>.key, 0600 in a 0700 directory (openssl reads them). */
export class FileLedgerKeyStore implements LedgerKeyStore {
  constructor(readonly location: string = defaultLedgerKeyDir()) {}

  private file(ledgerId: string): string {
    return path.join(this.location, `${checkLedgerId(ledgerId)}.key`);
  }

  load(ledgerId: string): Uint8Array | null {
    let pem: string;
    try {
      pem = fs.readFileSync(this.file(ledgerId), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`cannot read the ledger key ${this.file(ledgerId)}: ${(error as Error).message}`);
    }
    try {
      return createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
    } catch (error) {
      throw new Error(`${this.file(ledgerId)} is not a private key: ${(error as Error).message}`);
    }
  }

  save(ledgerId: string, privateKeyDer: Uint8Array): void {
    const file = this.file(ledgerId);
    fs.mkdirSync(this.location, { recursive: true, mode: 0o700 });
    // mkdir's mode applies only to directories it creates; the key's own directory is tightened.
    fs.chmodSync(this.location, 0o700);
    const pem = createPrivateKey({ key: Buffer.from(privateKeyDer), format: 'der', type: 'pkcs8' }).export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    let fd: number;
    try {
      fd = fs.openSync(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST')
        throw new Error(`a key for ledger ${ledgerId} already exists in ${file}; it is never overwritten`);
      throw error;
    }
    try {
      fs.writeSync(fd, pem);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** A key pair held in memory: tests, and stores that keep keys elsewhere. */
export class MemoryLedgerKeyStore implements LedgerKeyStore {
  readonly keys = new Map<string, Uint8Array>();
  constructor(readonly location = 'memory') {}
  load(ledgerId: string): Uint8Array | null {
    return this.keys.get(ledgerId) ?? null;
  }
  save(ledgerId: string, privateKeyDer: Uint8Array): void {
    if (this.keys.has(ledgerId)) throw new Error(`a key for ledger ${ledgerId} already exists`);
    this.keys.set(ledgerId, privateKeyDer);
  }
}

export interface LedgerSigningKey {
  privateKey: KeyObject;
  /** The raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
  fingerprint: string;
}

export function generateLedgerKey(): { key: LedgerSigningKey; der: Uint8Array } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  return { key: signingKey(der), der };
}

export function signingKey(der: Uint8Array): LedgerSigningKey {
  const privateKey = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`the ledger key is a ${privateKey.asymmetricKeyType} key, not Ed25519`);
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return { privateKey, publicKey, fingerprint: keyFingerprint(publicKey) };
}

function rawPublicKey(key: KeyObject): string {
  // An Ed25519 SPKI DER is a fixed 12-byte header followed by the 32 raw key bytes.
  return key.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64');
}

function publicKeyObject(rawBase64: string): KeyObject {
  const raw = Buffer.from(rawBase64, 'base64');
  if (raw.length !== 32) throw new Error('an Ed25519 public key is 32 bytes');
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
}

/** SHA-256 of the raw public key, hex in groups of four: what a person compares by eye. */
export function keyFingerprint(publicKeyBase64: string): string {
  const hex = createHash('sha256').update(Buffer.from(publicKeyBase64, 'base64')).digest('hex');
  return hex.match(/.{4}/g)!.join(' ');
}

/** Fingerprints compare without spaces or case. */
export function sameFingerprint(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/[\s:]/g, '').toLowerCase();
  return norm(a) === norm(b);
}

export type HeadDurability = 'power-loss' | 'process';

/** What a head signature covers. The durability says how far the head may lag after a crash. */
export interface SignedHead {
  ledgerId: string;
  seq: number;
  hash: string;
  durability: HeadDurability;
}

/** The exact bytes signed, documented in the README so an auditor can check a statement by hand. */
export function headMessage(h: SignedHead): string {
  return `commonwatt.ledger-head/1\n${h.ledgerId}\n${h.seq}\n${h.hash}\n${h.durability}`;
}

export function signHead(key: LedgerSigningKey, head: SignedHead): string {
  return sign(null, Buffer.from(headMessage(head)), key.privateKey).toString('base64');
}

export function headSignatureValid(publicKeyBase64: string, head: SignedHead, signature: string): boolean {
  try {
    return verify(
      null,
      Buffer.from(headMessage(head)),
      publicKeyObject(publicKeyBase64),
      Buffer.from(signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** DIR/ledger.pub: the ledger's public key, and the keys it had before (a lost key was replaced). */
export interface LedgerPublicKeyFile {
  format: 'commonwatt.ledger-key/1';
  ledgerId: string;
  algorithm: 'ed25519';
  publicKey: string;
  fingerprint: string;
  createdMs: number;
  /** The head when this key first signed: 0 for a new ledger; entries up to it predate the key. */
  signedFromSeq: number;
  /** Earlier keys, each with the last head it signed (which still verifies with it). */
  previous: Array<{ publicKey: string; fingerprint: string; head: SignedHead; signature: string }>;
}

export function readPublicKeyFile(file: string): LedgerPublicKeyFile | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const p = JSON.parse(text) as Partial<LedgerPublicKeyFile>;
  if (
    p.format !== 'commonwatt.ledger-key/1' ||
    typeof p.ledgerId !== 'string' ||
    typeof p.publicKey !== 'string' ||
    typeof p.signedFromSeq !== 'number' ||
    !Array.isArray(p.previous)
  )
    throw new Error('it is not a commonwatt.ledger-key/1 document');
  // The fingerprint is recomputed, never trusted from the file.
  return { ...(p as LedgerPublicKeyFile), fingerprint: keyFingerprint(p.publicKey) };
}

export function writePublicKeyFile(file: string, content: LedgerPublicKeyFile): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o644 });
  fs.renameSync(tmp, file);
}
