/** drizzle's `execute` answers a result with `rows` on both drivers (node-postgres, PGlite): the rows. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows?: T[] }).rows ?? [];
}

/** An `int[]` literal for `= any(…::int[])`: one parameter however many ids. */
export const intArray = (ids: Iterable<number>) => `{${[...ids].join(',')}}`;
