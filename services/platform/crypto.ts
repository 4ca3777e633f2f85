import { createHash, randomBytes } from 'node:crypto';

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
