/**
 * Spreadsheet safety (CSV/formula injection): a cell that starts with = + - @ (or a tab / carriage return) could be
 * run as a formula by the spreadsheet program of whoever opens an export. Exports prefix such text with an
 * apostrophe; imports take the text literally and drop that one apostrophe again, so an export re-imports unchanged.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

export function escapeCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

export function unescapeCell(text: string): string {
  return text.startsWith("'") && FORMULA_START.test(text.slice(1)) ? text.slice(1) : text;
}

/** One parsed sheet or CSV file, before its columns are interpreted. */
export interface RawTable {
  /** Sheet name, or the CSV file's name. */
  name: string;
  headers: string[];
  /** Data rows with their row number in the file (the header row is 1). Blank rows are left out. */
  rows: { row: number; cells: (string | undefined)[] }[];
  /** Cells that could not be read (formulas without a value, error values). */
  problems: { row: number; column: string; reason: string }[];
}
