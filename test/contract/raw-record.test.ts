import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createRawRecordCheck } from '../../services/contract/raw-record.ts';
import { HubError } from '../../services/platform/errors.ts';
import type { RegistryClient } from '../../services/platform/registry-client.ts';

/** A registry that fails the way the real one does during a blip, which it cannot do on demand. */
function failingRegistry(failure: HubError): RegistryClient {
  const fail = async () => {
    throw failure;
  };
  return { register: fail, latestId: fail, latest: fail, subjectsOf: fail, encode: fail, encodeMany: fail, decode: fail };
}

const framed = (): KafkaMessage =>
  ({ key: Buffer.from('k'), value: Buffer.from([0, 0, 0, 0, 7, 2, 120]), headers: {}, offset: '0', timestamp: '0', attributes: 0 }) as KafkaMessage;

describe('the raw-record check tells outages from verdicts', () => {
  it('propagates a registry outage instead of calling the record foreign', async () => {
    const check = createRawRecordCheck({ registry: failingRegistry(new HubError('HUB_ERR_REGISTRY_UNAVAILABLE', 'registry down')) });
    await expect(check.check({ subject: 'raw.psb.base.natural_person-value' }, framed())).rejects.toMatchObject({ code: 'HUB_ERR_REGISTRY_UNAVAILABLE' });
  });

  it('calls a record whose schema id the registry does not know foreign', async () => {
    const check = createRawRecordCheck({ registry: failingRegistry(new HubError('HUB_ERR_NOT_FOUND', 'no schema 7')) });
    expect(await check.check({ subject: 'raw.psb.base.natural_person-value' }, framed())).toEqual({
      ok: false,
      reason: 'schema id 7 is not a version of subject raw.psb.base.natural_person-value',
    });
  });
});
