/** Roles a person or system can hold. `service` is the hub's own processes. */
export const roles = ['authority', 'steward', 'department', 'consumer', 'auditor', 'service', 'applicant'] as const;
export type Role = (typeof roles)[number];
/** The hub's own principals: everyone but an applicant (an outside organisation on the open-data portal). */
export const internalRoles: readonly Role[] = roles.filter((r) => r !== 'applicant');

/** Roles that `hub principal create` hands out; `service` is reserved for the hub itself. */
export const assignableRoles = roles.filter((r): r is Exclude<Role, 'service'> => r !== 'service');

export interface Principal {
  readonly name: string;
  readonly role: Role;
  /** The Kafka SCRAM user of this principal (ACLs name User:<kafkaUser>). */
  readonly kafkaUser: string;
}

/** What a new principal receives, once: its secrets are not stored in clear anywhere. */
export interface PrincipalCredentials {
  name: string;
  role: Role;
  kafka: { username: string; password: string };
  token: string;
}

export interface Authenticator {
  /** Resolves a bearer token (and, for Basic auth, the claimed name) to an enabled principal, or null. */
  verify(token: string, claimedName?: string): Promise<Principal | null>;
}
