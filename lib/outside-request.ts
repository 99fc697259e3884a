import { setOutsideRequestDetector } from './agent';
import { detectMetadataAccess } from './detectors/ssrf';
import type { Finding, Operation, TaintInput } from './types';

/**
 * Findings that need no untrusted input: a connection to a cloud metadata
 * service from anywhere (startup code, a timer, a compromised dependency).
 * There is no input to name, so the finding carries an empty one whose
 * source says so; the event's `detail` names the address and service.
 */

const NO_INPUT: TaintInput = Object.freeze({ source: 'none', value: '', decoding: Object.freeze([]) as readonly string[] });

export function outsideRequestFinding(op: Operation): Finding | undefined {
  if (op.name !== 'net.connect') return undefined;
  const m = detectMetadataAccess(op.resource);
  if (m === undefined) return undefined;
  return { kind: m.kind, input: NO_INPUT, reason: m.reason, detail: { ...m.detail } };
}

let installed = false;

/** Called when the connect-time hook is installed: the two only make sense together. */
export function installOutsideRequestDetector(): void {
  if (installed) return;
  installed = true;
  setOutsideRequestDetector(outsideRequestFinding);
}
