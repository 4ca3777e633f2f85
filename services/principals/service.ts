import type { HubAdmin } from '../platform/kafka/admin.ts';
import type { PrincipalStore } from './store.ts';
import { checkPrincipal } from './store.ts';
import { newPassword, newToken } from '../platform/crypto.ts';
import type { PrincipalCredentials } from './types.ts';
import { HubError } from '../platform/errors.ts';
import type { CredentialVault } from './credentials.ts';

export interface PrincipalService {
  /** Creates the principal, its Kafka SCRAM user and its API token; the secrets are returned once. */
  create(input: { name: string; role: string }): Promise<PrincipalCredentials>;
  /** New API token and Kafka password; the old ones stop working. */
  rotate(name: string): Promise<PrincipalCredentials>;
  /** Undoes create() of a principal that never came into use (a failed onboarding): its Kafka user and row go. */
  discard(name: string): Promise<void>;
  /** Disables the token and removes the Kafka user (its ACLs stay for the audit trail). */
  disable(name: string): Promise<void>;
}

/** `vault`: where each Kafka credential is kept (sealed), so that a restore can set it again on a new cluster. */
export function createPrincipalService({ store, admin, vault }: { store: PrincipalStore; admin: HubAdmin; vault?: CredentialVault }): PrincipalService {
  return {
    async create({ name, role }) {
      checkPrincipal(name, role);
      const token = newToken();
      const password = newPassword();
      // The row first: a name clash must never overwrite an existing Kafka user's password.
      const principal = await store.insert({ name, role, token, kafkaUser: name });
      try {
        const credential = await admin.upsertUser(principal.kafkaUser, password);
        await vault?.save(principal.kafkaUser, credential);
      } catch (err) {
        await store.remove(name);
        throw err;
      }
      return { name, role, kafka: { username: principal.kafkaUser, password }, token };
    },
    async rotate(name) {
      const principal = await store.byName(name);
      if (!principal) throw new HubError('HUB_ERR_NOT_FOUND', `no principal named "${name}"`);
      const token = newToken();
      const password = newPassword();
      const credential = await admin.upsertUser(principal.kafkaUser, password);
      await vault?.save(principal.kafkaUser, credential);
      await store.setToken(name, token);
      return { name, role: principal.role, kafka: { username: principal.kafkaUser, password }, token };
    },
    async discard(name) {
      const principal = await store.byName(name);
      if (!principal) return;
      await admin.deleteUser(principal.kafkaUser).catch(() => undefined);
      await vault?.remove(principal.kafkaUser);
      await store.remove(name);
    },
    async disable(name) {
      const principal = await store.byName(name);
      if (!principal) throw new HubError('HUB_ERR_NOT_FOUND', `no principal named "${name}"`);
      await store.disable(name);
      await vault?.remove(principal.kafkaUser);
      await admin.deleteUser(principal.kafkaUser);
    },
  };
}
