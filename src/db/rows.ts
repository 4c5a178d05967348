/** drizzle's `execute` answers an array of rows (postgres.js) or `{ rows }` (PGlite): the rows either way. */
export function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

/** An `int[]` literal for `= any(…::int[])`: one parameter however many ids. */
export const intArray = (ids: Iterable<number>) => `{${[...ids].join(',')}}`;
