/**
 * Model drift: an answer whose upstream says another model served it than the deployment's pinned
 * `model` (a provider re-pointing an id, a server restarted with other weights, a proxy routing
 * elsewhere). Each such answer is counted by the id it named, and with `on_drift: fail_over` the
 * deployment is held out of plans until an operator restores it. The answer that showed the drift was
 * already produced and is still delivered. Kept on the deployment's health, so it carries over a
 * reload while the deployment's identity (its model among it) is unchanged.
 */
import type { DriftPolicy } from '../../config/schema.js';

/** Distinct served ids kept per deployment (the metric's label set, the admin state); more count as `other`. */
export const maxServedModels = 10;

/** The label of served ids beyond `maxServedModels`. */
export const otherServedModel = 'other';

/** What one drifted answer changed, for metrics and logs. */
export interface DriftEvent {
  /** The id the answer named, as the upstream spelled it. */
  readonly served: string;
  /** Its bounded label: `served`, or `other` once `maxServedModels` ids are known. */
  readonly label: string;
  /** The first answer with this label on this deployment (logged once per label). */
  readonly first: boolean;
  /** This answer took the deployment out of plans (`on_drift: fail_over`, and it was not held yet). */
  readonly heldOut: boolean;
}

/** How a deployment's answers are checked: against its pinned model, with its `on_drift`. */
export interface DriftCheck {
  readonly pinned: string;
  readonly policy: DriftPolicy;
  /** Told of every drifted answer (metrics; logs on `first` and `heldOut`). */
  readonly report: (event: DriftEvent) => void;
}

export class ModelDrift {
  /** Drifted answers per served id (bounded: see maxServedModels); empty while every answer matched. */
  private readonly counts = new Map<string, number>();
  /** Out of plans because of drift (`on_drift: fail_over`) until an operator's restore. */
  held = false;

  /**
   * Once per answer, with the model the upstream named (undefined: it named none). The usual case, the
   * pinned model or none, costs a comparison and allocates nothing.
   */
  observe(served: string | undefined, check: DriftCheck | undefined): void {
    if (check === undefined || served === undefined || served === check.pinned) return;
    check.report(this.record(served, check.policy));
  }

  /** One answer served by `served`, which is not the pinned model. */
  record(served: string, policy: DriftPolicy): DriftEvent {
    const label = this.counts.has(served) || this.counts.size < maxServedModels ? served : otherServedModel;
    const before = this.counts.get(label) ?? 0;
    this.counts.set(label, before + 1);
    const heldOut = policy === 'fail_over' && !this.held;
    if (heldOut) this.held = true;
    return { served, label, first: before === 0, heldOut };
  }

  /** Drifted answers per served id, for /admin/state. */
  servedModels(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
