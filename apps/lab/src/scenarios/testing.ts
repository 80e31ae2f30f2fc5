/**
 * Helpers for the pure tests of the scenarios: observations built fresh for each test and
 * changed in place, and the invariants read by name.
 */
import type { Invariant } from "../compare/results.js";

/** A builder of fresh observations from `make`, each changed in place by the test that asks. */
export function fixture<O>(make: () => O): (change?: (o: O) => void) => O {
  return (change = () => {}) => {
    const o = make();
    change(o);
    return o;
  };
}

/** Every invariant of `o`, by name → whether it holds. */
export const holdsByName = (invariants: readonly Invariant[]) =>
  Object.fromEntries(invariants.map((invariant) => [invariant.name, invariant.holds]));

/** Whether the invariant named "`prefix`…: `label`" holds (undefined when there is none). */
export const claim = (invariants: readonly Invariant[], prefix: string, label: string) =>
  invariants.find((invariant) => invariant.name.startsWith(prefix) && invariant.name.endsWith(`: ${label}`))?.holds;

/** The variant under `key`. */
export function variantByKey<V extends { key: string }>(o: { variants: readonly V[] }, key: V["key"]): V {
  const found = o.variants.find((v) => v.key === key);
  if (!found) throw new Error(`no variant ${key}`);
  return found;
}
