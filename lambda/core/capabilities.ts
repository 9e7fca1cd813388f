import { DEFAULT_CAPABILITIES, type Capability } from '../contract';
import type { Grant } from './model';

/** What a grant allows: its `capabilities`, or PLAY only when it has none (every grant made before them). */
export function capabilitiesOf(grant: Pick<Grant, 'capabilities'>): readonly Capability[] {
  return grant.capabilities ?? DEFAULT_CAPABILITIES;
}

export function grantHasCapability(grant: Pick<Grant, 'capabilities'>, capability: Capability): boolean {
  return capabilitiesOf(grant).includes(capability);
}
