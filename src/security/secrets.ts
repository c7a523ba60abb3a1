import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * API keys are shown at create and by reveal-api-key, so they are kept encrypted (AES-256-GCM with a
 * server secret in the data dir, mode 0600) for reveal, and as a SHA-256 hash for the gateway's
 * constant-time check. Neither the key nor the admin token is ever logged.
 */
export function generateApiKey(): string {
  return `isk-${randomBytes(32).toString('base64url')}`;
}

export function generateToken(): string {
  return `ist-${randomBytes(32).toString('base64url')}`;
}

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** Constant-time comparison of a presented key with a stored hash. */
export function keyMatches(presented: string, storedHash: Buffer): boolean {
  const h = hashKey(presented);
  return h.length === storedHash.length && timingSafeEqual(h, storedHash);
}

/** Reads a secret file, creating it (mode 0600) with `make()` on first use. */
export function readOrCreateSecretFile(path: string, make: () => string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const value = make();
  writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return value;
}

export class KeyBox {
  private readonly key: Buffer;

  constructor(secretHex: string) {
    this.key = Buffer.from(secretHex, 'hex');
    if (this.key.length !== 32) throw new Error('secret key must be 32 bytes of hex');
  }

  static fromFile(path: string): KeyBox {
    return new KeyBox(readOrCreateSecretFile(path, () => randomBytes(32).toString('hex')));
  }

  /**
   * A secret for `purpose` derived from the server secret (HMAC-SHA256), the same on every start and on
   * every server of an HA cluster: e.g. a replica's engine key, the servers' internal credential.
   */
  derive(purpose: string): string {
    return createHmac('sha256', this.key).update(purpose).digest('base64url');
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return [iv, c.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
  }

  open(sealed: string): string {
    const [iv, tag, body] = sealed.split('.').map((s) => Buffer.from(s, 'base64url'));
    const d = createDecipheriv('aes-256-gcm', this.key, iv);
    d.setAuthTag(tag);
    return Buffer.concat([d.update(body), d.final()]).toString('utf8');
  }
}
