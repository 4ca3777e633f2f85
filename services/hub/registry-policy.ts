import type { CatalogService } from '../catalog/service.ts';
import type { CanWriteSubject, SubjectWrite } from '../registry/auth.ts';
import type { Principal } from '../principals/types.ts';
import { parseRawSubject } from '../contract/names.ts';
import { parseEntrySchema } from '../catalog/entry.ts';
import { contractDifferences } from '../catalog/contracts.ts';
import { registryErrors } from '../registry/registry-error.ts';
import { errorMessage } from '../platform/errors.ts';

const canonical = (text: string): string | null => {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return null;
  }
};

/**
 * Who may write which subject of the hub's registry. The authority and the hub itself may write any.
 * A department may only register, on its own raw subject (parsed exactly), the contract of a dataset
 * it actively provides: a schema change goes through the catalog (PUT /api/v1/catalog/<id>), which
 * holds it to the contract and the catalog's rules. Departments never delete versions or change a
 * subject's compatibility or mode.
 */
export function createRegistryPolicy({ catalog }: { catalog: CatalogService }): CanWriteSubject {
  return async (principal: Principal, subject: string, write: SubjectWrite) => {
    if (principal.role === 'authority' || principal.role === 'service') return true;
    if (principal.role !== 'department') return false;
    const raw = parseRawSubject(subject);
    if (!raw || raw.provider !== principal.name) return false;
    if (write.kind !== 'register') {
      throw registryErrors.forbidden(
        `Forbidden: a department may not ${write.kind === 'delete' ? 'delete schema versions' : `change the ${write.kind === 'config' ? 'compatibility' : 'mode'} of a subject`}; the catalog and the data authority manage "${subject}"`,
      );
    }
    const entry = await catalog.search({ dataset: raw.dataset, provider: raw.provider, limit: 1, offset: 0 }).then((r) => r.entries[0]);
    if (!entry)
      throw registryErrors.forbidden(`Forbidden: ${principal.name} is not an enrolled provider of ${raw.dataset}; declare it with POST /api/v1/catalog`);
    const contract = await catalog.contract(raw.dataset);
    if (canonical(write.schema) === canonical(contract.schema)) return true;
    let candidate: ReturnType<typeof parseEntrySchema>;
    try {
      candidate = parseEntrySchema(raw.dataset, write.schema);
    } catch (err) {
      throw registryErrors.invalidSchema(`Refused: ${errorMessage(err)}`);
    }
    const differences = contractDifferences(await catalog.contractOf(raw.dataset), candidate);
    throw registryErrors.invalidSchema(
      `Refused: "${subject}" holds the contract of ${raw.dataset} (version ${contract.version}, owner ${contract.owner})${differences.length > 0 ? `; this schema ${differences.join('; ')}` : ''}. A schema change goes through PUT /api/v1/catalog/${entry.id} by the contract's owner or the data authority`,
    );
  };
}
