import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { HubError } from '../platform/errors.ts';

/** A passphrase-sealed payload: scrypt derives the key, AES-256-GCM encrypts and authenticates. */
export interface Sealed {
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  cipher: 'aes-256-gcm';
  nonce: string;
  tag: string;
  data: string;
}

const cost = { N: 2 ** 15, r: 8, p: 1 };

function derive(passphrase: string, salt: Buffer, { N, r, p }: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(passphrase, salt, 32, { N, r, p, maxmem: 128 * N * r * 2 }, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function seal(plain: Buffer, passphrase: string): Promise<Sealed> {
  if (passphrase.length < 12) throw new HubError('HUB_ERR_VALIDATION', 'the passphrase must be at least 12 characters');
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await derive(passphrase, salt, cost), nonce);
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return {
    kdf: 'scrypt',
    ...cost,
    salt: salt.toString('base64'),
    cipher: 'aes-256-gcm',
    nonce: nonce.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

export async function unseal(sealed: Sealed, passphrase: string): Promise<Buffer> {
  const key = await derive(passphrase, Buffer.from(sealed.salt, 'base64'), sealed);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.nonce, 'base64'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
  } catch (err) {
    throw new HubError('HUB_ERR_UNAUTHENTICATED', "the passphrase does not open the backup's secrets (wrong passphrase, or the file was changed)", {
      cause: err,
    });
  }
}

/** HMAC-SHA256 of `text` under a key derived from the passphrase and the sealed payload's salt: only a holder of the passphrase can make it. */
export async function passphraseMac(sealed: Sealed, passphrase: string, text: string): Promise<string> {
  const key = Buffer.from(hkdfSync('sha256', await derive(passphrase, Buffer.from(sealed.salt, 'base64'), sealed), Buffer.alloc(0), 'hub backup manifest', 32));
  return createHmac('sha256', key).update(text).digest('hex');
}

export function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
