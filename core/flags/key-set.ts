// Target and segment lists can hold thousands of context keys; a frozen list (every parsed
// document is frozen) gets a Set, built once and kept while the list lives. An unfrozen list could
// change under a cached Set, so it is searched in place.

const LINEAR_SEARCH_LENGTH = 16;
const setsByList = new WeakMap<readonly string[], ReadonlySet<string>>();

export function listHoldsKey(keys: readonly string[], key: string): boolean {
  if (keys.length <= LINEAR_SEARCH_LENGTH || !Object.isFrozen(keys)) return keys.includes(key);
  let set = setsByList.get(keys);
  if (set === undefined) {
    set = new Set(keys);
    setsByList.set(keys, set);
  }
  return set.has(key);
}
