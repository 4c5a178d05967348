/**
 * One worksheet's XML, read by SAX events into rows of cells (see xlsx-sheets.ts): rows counted as they come, and
 * cell values as exceljs' in-memory reader gives them.
 */
import type { XmlHandlers } from './zip-parts.js';

/** A cell's value, in exceljs' shapes (so code that read exceljs cells reads these unchanged). */
export type SheetCell =
  | string
  | number
  | boolean
  | Date
  | { richText: { text: string }[] }
  | { error: string }
  | { formula: string; result?: string | number | boolean | Date | { error: string } };

export interface SheetRow {
  /** The row's number in the sheet (1 is the first). */
  row: number;
  /** Cells by column, index 0 is column A; undefined where the sheet has none or an empty one. */
  cells: (SheetCell | undefined)[];
}

export interface StreamedSheet {
  name: string;
  /** Rows in the order of their numbers; rows the file does not have are left out. */
  rows: SheetRow[];
}

export interface SheetContext {
  sharedStrings: SheetCell[];
  dateStyles: boolean[];
  date1904: boolean;
}

/** The XML of a cell being read. */
interface OpenCell {
  column: number;
  type: string;
  style: number;
  formula: boolean;
  value: string | undefined;
  reading: 'v' | 'f' | 't' | undefined;
}

export class SheetBuilder {
  private readonly rows = new Map<number, (SheetCell | undefined)[]>();
  private readonly merges: { top: number; left: number; bottom: number; right: number }[] = [];
  private rowCount = 0;
  private current: (SheetCell | undefined)[] | undefined;
  private rowNumber = 0;
  private column = 0;
  private cell: OpenCell | undefined;
  private inSheetData = false;

  constructor(
    private readonly name: string,
    private readonly context: SheetContext,
    private readonly tooManyRows: () => never,
    private readonly maxRows: number,
  ) {}

  handlers(): XmlHandlers {
    return {
      open: (name, attributes) => this.open(name, attributes),
      text: (text) => {
        if (this.cell?.reading === 'v' || this.cell?.reading === 't') this.cell.value = (this.cell.value ?? '') + text;
      },
      close: (name) => this.close(name),
    };
  }

  private open(name: string, attributes: Record<string, string>): void {
    switch (name) {
      case 'sheetData':
        this.inSheetData = true;
        return;
      case 'row': {
        if (!this.inSheetData) return;
        // The rows are counted here, whatever the sheet's <dimension> says.
        if (++this.rowCount > this.maxRows) this.tooManyRows();
        const number = Number.parseInt(attributes.r ?? '', 10);
        this.rowNumber = Number.isFinite(number) && number > 0 ? number : this.rowNumber + 1;
        this.column = 0;
        this.current = this.rows.get(this.rowNumber) ?? [];
        this.rows.set(this.rowNumber, this.current);
        return;
      }
      case 'c': {
        if (!this.current) return;
        const column = columnOf(attributes.r) ?? this.column + 1;
        this.column = column;
        const style = Number.parseInt(attributes.s ?? '0', 10);
        this.cell = { column, type: attributes.t ?? 'n', style, formula: false, value: undefined, reading: undefined };
        // A cell in the sheet, even an empty one, counts for its row's length (exceljs' cellCount).
        if (this.current.length < column) this.current[column - 1] = undefined;
        return;
      }
      case 'f':
        if (this.cell) {
          this.cell.formula = true;
          this.cell.reading = 'f';
        }
        return;
      case 'v':
        if (this.cell) this.cell.reading = 'v';
        return;
      case 't':
        // Inline strings (<is><t>…</t></is>, or runs of <r><t>…</t></r>): their texts, joined.
        if (this.cell) this.cell.reading = 't';
        return;
      case 'mergeCell': {
        const range = /^([A-Z]+\d+)(?::([A-Z]+\d+))?$/.exec(attributes.ref ?? '');
        const from = range && cellAddress(range[1]!);
        const to = range && cellAddress(range[2] ?? range[1]!);
        if (!from || !to) return;
        // A merged range past the row limit is as many rows as that (exceljs would have made every one of them).
        if (to.row > this.maxRows) this.tooManyRows();
        this.merges.push({ top: from.row, left: from.column, bottom: to.row, right: to.column });
        return;
      }
    }
  }

  private close(name: string): void {
    if (name === 'sheetData') this.inSheetData = false;
    else if (name === 'row') this.current = undefined;
    else if (name === 'v' || name === 'f' || name === 't') {
      if (this.cell) this.cell.reading = undefined;
    } else if (name === 'c' && this.cell && this.current) {
      this.current[this.cell.column - 1] = this.value(this.cell);
      this.cell = undefined;
    }
  }

  /** The cell's value, as exceljs' in-memory reader gives it. */
  private value(cell: OpenCell): SheetCell | undefined {
    const { value, type } = cell;
    const isDate = this.context.dateStyles[cell.style] === true;
    const date = (serial: number) => excelToDate(serial, this.context.date1904);
    if (cell.formula) {
      if (!value) return { formula: '' };
      if (type === 'str') return { formula: '', result: xmlDecode(value) };
      if (type === 'b') return { formula: '', result: Number.parseInt(value, 10) !== 0 };
      if (type === 'e') return { formula: '', result: { error: value } };
      const number = Number.parseFloat(value);
      return { formula: '', result: isDate ? date(number) : number };
    }
    if (value === undefined) return undefined;
    switch (type) {
      case 's':
        return this.context.sharedStrings[Number.parseInt(value, 10)];
      case 'str':
        return xmlDecode(value);
      case 'inlineStr':
        return value;
      case 'b':
        return Number.parseInt(value, 10) !== 0;
      case 'e':
        return { error: value };
      case 'd':
        return new Date(value);
      default: {
        const number = Number.parseFloat(value);
        return isDate ? date(number) : number;
      }
    }
  }

  /** The sheet, merged cells filled: every cell of a merged range reads as its top-left cell, as in exceljs. */
  finish(): StreamedSheet {
    for (const merge of this.merges) {
      const master = this.rows.get(merge.top)?.[merge.left - 1];
      for (let r = merge.top; r <= merge.bottom; r++) {
        let cells = this.rows.get(r);
        if (!cells) {
          cells = [];
          this.rows.set(r, cells);
        }
        for (let c = merge.left; c <= merge.right; c++) {
          if (r !== merge.top || c !== merge.left) cells[c - 1] = master;
        }
      }
    }
    const rows = [...this.rows]
      .sort(([a], [b]) => a - b)
      .map(([row, cells]) => ({ row, cells: Array.from(cells, (cell) => cell) }));
    return { name: this.name, rows };
  }
}

/** The column number of a cell reference (A1 → 1, AB7 → 28); undefined when there is none. */
function columnOf(ref: string | undefined): number | undefined {
  const letters = ref ? /^[A-Z]+/.exec(ref)?.[0] : undefined;
  if (!letters) return undefined;
  let column = 0;
  for (const letter of letters) column = column * 26 + (letter.charCodeAt(0) - 64);
  return column;
}

function cellAddress(ref: string): { row: number; column: number } | undefined {
  const column = columnOf(ref);
  const row = Number.parseInt(ref.replace(/^[A-Z]+/, ''), 10);
  return column && row > 0 ? { row, column } : undefined;
}

/** exceljs' excelToDate: a serial day number (since 1899-12-30, or 1904-01-01) as a UTC date. */
function excelToDate(serial: number, date1904: boolean): Date {
  return new Date(Math.round((serial - 25569 + (date1904 ? 1462 : 0)) * 24 * 3600 * 1000));
}

/** exceljs decodes the XML entities of a formula's string result a second time; kept, to read as before. */
function xmlDecode(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos);/g, (_, name: string) => XML_ENTITIES[name]!);
}
const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
