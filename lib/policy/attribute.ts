import { attributePackage, captureFrames, packageOfFile } from '../stack';
import type { Operation } from '../types';
import { evaluate } from './evaluate';
import type { Policy } from './policy';
import type { EvalContext, PolicyVerdict } from './types';

const SHORT = 12;
const LONG = 64;

/**
 * Capture cost grows with the frame count, and the caller is usually within a
 * few frames of the hook: look at SHORT frames first, and only when they are all
 * Palisade's or transparent packages' look further.
 */
function attribute(transparent: ReadonlySet<string> | undefined): string | undefined {
  const frames = captureFrames(SHORT);
  const pkg = attributePackage(frames, transparent);
  if (pkg !== undefined) return pkg;
  if (frames.length > 0 && (transparent === undefined || !frames.every((f) => transparent.has(packageOfFile(f.file) ?? '')))) return undefined;
  return attributePackage(captureFrames(LONG), transparent);
}

/**
 * The whole per-call policy step for a hook: skip when the operation is not
 * restricted, capture and attribute the stack only when a rule depends on the
 * package (and the caller did not say), then evaluate. Call it from Palisade's
 * own code (hooks, lib) so that the first non-Palisade frame is the app's or
 * the package's. `transparent`: packages that act for their caller (HTTP
 * clients, drivers) and are skipped during attribution.
 */
export function evaluateCall(policy: Policy, op: Operation, ctx: EvalContext = {}, transparent?: ReadonlySet<string>): PolicyVerdict {
  if (!policy.restricts(op.name)) return policy.unrestricted[op.name];
  if (ctx.package === undefined && policy.needsPackage(op.name)) {
    const pkg = attribute(transparent);
    if (pkg !== undefined) return evaluate(policy, op, { ...ctx, package: pkg });
  }
  return evaluate(policy, op, ctx);
}
