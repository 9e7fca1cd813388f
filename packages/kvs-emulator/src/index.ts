/**
 * The public API of the KVS emulator: start it in-process, describe its streams, tune its quotas and
 * faults. Everything else in the package is internal and may change without notice.
 */
export { startKvsEmulator, type EmulatorOptions, type RunningEmulator } from './start-emulator';
export { createManualClock, type ManualClock } from './manual-clock';
export {
  loadStreamConfigs,
  parseStreamConfigs,
  StreamConfigError,
  type StreamConfig,
  type StreamMedia,
} from './stream-config';
export { DEFAULT_QUOTAS, type Quotas } from './quotas';
export { DEFAULT_LIMITS, type Limits } from './limits';
export type { Faults } from './faults';
export type { InjectableError } from './service-error';
export type { LocalCredentials } from './sigv4-verifier';
