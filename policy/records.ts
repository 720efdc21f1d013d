/**
 * Records keyed by names from a policy file or the environment. A name is only ever looked up
 * as an own property, so `constructor`, `toString` or `hasOwnProperty` never find
 * Object.prototype's members, and records the policy builds have no prototype at all.
 */

/** A record without a prototype: `record.constructor` is undefined unless a name says otherwise. */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `record[key]` when `key` is the record's own, else undefined. */
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: PropertyKey): T | undefined {
  return record !== undefined && record !== null && Object.hasOwn(record, key) ? record[key as string] : undefined;
}
