/**
 * Hazard numbers: `YH-<year>-<sequence>`, the sequence zero-padded to 6 digits (`YH-2026-000123`), one sequence
 * per year. Past 999999 the number simply grows a digit (`YH-2026-1000000`) rather than wrap or fail.
 *
 * People type numbers on phones: lower case, full-width letters and digits (ＹＨ－２０２６－０００１２３), other
 * dashes, spaces, a missing prefix (`2026-123`) or missing zeros are all understood by `parseHazardCode`.
 */

export const HAZARD_CODE_PREFIX = 'YH';
const MIN_SEQUENCE_DIGITS = 6;

/** The canonical form, exactly as `formatHazardCode` writes it. */
export const HAZARD_CODE_PATTERN = /^YH-(\d{4})-(\d{6}|[1-9]\d{6,})$/;

export interface HazardCode {
  year: number;
  sequence: number;
  /** Canonical text, e.g. `YH-2026-000123`. */
  code: string;
}

/** `formatHazardCode(2026, 123)` → `YH-2026-000123`. Throws RangeError for a year outside 1000–9999 or seq < 1. */
export function formatHazardCode(year: number, sequence: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) {
    throw new RangeError(`hazard code year must be a 4-digit year, got ${year}`);
  }
  if (!Number.isSafeInteger(sequence) || sequence < 1) {
    throw new RangeError(`hazard code sequence must be a whole number ≥ 1, got ${sequence}`);
  }
  return `${HAZARD_CODE_PREFIX}-${year}-${String(sequence).padStart(MIN_SEQUENCE_DIGITS, '0')}`;
}

/** True only for the canonical form (`YH-2026-000123`). */
export function isHazardCode(text: string): boolean {
  return HAZARD_CODE_PATTERN.test(text);
}

// After NFKC (full-width → ASCII) and upper-casing: optional prefix, year, optional separator, sequence.
const LENIENT = /^(?:YH-?)?(\d{4})-?(\d{1,12})$/;
// Hyphen look-alikes people type or autocorrect produces: ‐ ‑ ‒ – — ― − ﹣ ー and _ · / .
const DASHES = /[\u2010-\u2015\u2212\uFE63\u30FC_·/.]/g;

/**
 * Reads a hazard number as a person typed it. Returns null when it is not one.
 * A bare number without the `YH` prefix needs a separator (`2026-123`), so that "2026123" is not guessed at.
 */
export function parseHazardCode(input: string): HazardCode | null {
  const text = input.normalize('NFKC').toUpperCase().replace(/\s+/g, '').replace(DASHES, '-').replace(/-+/g, '-');
  let match: RegExpExecArray | null = null;
  if (text.startsWith(HAZARD_CODE_PREFIX) || text.includes('-')) match = LENIENT.exec(text);
  if (!match) return null;
  const year = Number(match[1]);
  const sequence = Number(match[2]);
  if (year < 1000 || sequence < 1 || !Number.isSafeInteger(sequence)) return null;
  return { year, sequence, code: formatHazardCode(year, sequence) };
}
