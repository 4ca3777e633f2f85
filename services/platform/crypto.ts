import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** API tokens are 256 random bits; the hub stores only their SHA-256. */
export function newToken(): string {
  return `hub_${randomBytes(32).toString('base64url')}`;
}

export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Compares secrets in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
