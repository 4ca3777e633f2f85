import { inject } from 'vitest';
import { loadConfig, type Env, type HubConfig } from '../../services/platform/config.ts';

/**
 * The test run's configuration: the broker started by test/global-setup.ts, the hub_test database,
 * its own state folder. Overrides are environment variables, as a user would set them.
 */
export function testConfig(overrides: Env = {}): HubConfig {
  return loadConfig({ ...inject('hubEnv'), ...overrides });
}
