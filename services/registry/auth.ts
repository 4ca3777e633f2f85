import type { Authenticator, Principal } from '../principals/types.ts';
import { registryErrors } from './registry-error.ts';

/** What a write to a subject does: the policy may look at the schema being registered. */
export type SubjectWrite = { kind: 'register'; schema: string } | { kind: 'delete' } | { kind: 'config' } | { kind: 'mode' };

/**
 * Decides who may change a subject (register, delete, subject config and mode). It may also throw a
 * RegistryError of its own (e.g. 42201 for a schema that breaks the platform's rules).
 */
export type CanWriteSubject = (principal: Principal, subject: string, write: SubjectWrite) => boolean | Promise<boolean>;

/** Global config and mode, and by default every subject, belong to the authority and the hub itself. */
export function canWriteGlobal(principal: Principal): boolean {
  return principal.role === 'authority' || principal.role === 'service';
}

export const defaultCanWriteSubject: CanWriteSubject = (principal) => canWriteGlobal(principal);

export const authRealm = 'Basic realm="hub-registry"';

export interface Credentials {
  token: string;
  /** The principal name a Basic-auth user claims; Bearer tokens claim none. */
  name?: string;
}

/** Confluent clients send `Basic base64(user:password)`: user = principal name, password = API token. */
export function parseAuthorization(header: string | undefined): Credentials | null {
  if (!header) return null;
  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  switch (scheme?.toLowerCase()) {
    case 'basic': {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return null;
      const name = decoded.slice(0, colon);
      const token = decoded.slice(colon + 1);
      if (!token) return null;
      return name ? { token, name } : { token };
    }
    case 'bearer':
      return value ? { token: value } : null;
    default:
      return null;
  }
}

export async function authenticate({ authenticator, header }: { authenticator: Authenticator; header: string | undefined }): Promise<Principal> {
  const credentials = parseAuthorization(header);
  if (!credentials) {
    throw registryErrors.unauthenticated(
      'Unauthorized: send HTTP Basic credentials (user = principal name, password = API token) or "Authorization: Bearer <API token>"',
    );
  }
  let principal: Principal | null;
  try {
    principal = await authenticator.verify(credentials.token, credentials.name);
  } catch (err) {
    throw registryErrors.store(err);
  }
  if (!principal) throw registryErrors.unauthenticated('Unauthorized: the credentials are wrong, or the principal is disabled');
  return principal;
}

export async function requireSubjectWrite({
  principal,
  subject,
  write,
  canWriteSubject,
}: {
  principal: Principal;
  subject: string;
  write: SubjectWrite;
  canWriteSubject: CanWriteSubject;
}): Promise<void> {
  if (!(await canWriteSubject(principal, subject, write))) {
    throw registryErrors.forbidden(`Forbidden: principal "${principal.name}" (role ${principal.role}) may not change subject "${subject}"`);
  }
}

export function requireGlobalWrite(principal: Principal): void {
  if (!canWriteGlobal(principal)) {
    throw registryErrors.forbidden(
      `Forbidden: principal "${principal.name}" (role ${principal.role}) may not change the registry's global settings; only authority and service may`,
    );
  }
}
