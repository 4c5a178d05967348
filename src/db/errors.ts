/**
 * The driver's own words for a failed statement, for logs: drizzle wraps a driver error in one whose message holds
 * the statement and its parameters (a message's text, a token), so the innermost cause is what is told, with its
 * code (e.g. `57P01 terminating connection due to administrator command`, `ECONNREFUSED`).
 */
export function databaseErrorReason(error: unknown): string {
  let root = error;
  while (root instanceof Error && root.cause !== undefined) root = root.cause;
  const { code, message } = (root ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(root);
  return typeof code === 'string' && !text.includes(code) ? `${code} ${text}` : text;
}
