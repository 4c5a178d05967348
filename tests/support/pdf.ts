import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A PDF read back as a person would read it, with poppler-utils (Debian's package; .ci/run installs it): its text
 * (pdftotext) with all white space removed, so that a line wrapped inside a phrase still matches, its page count and
 * fonts (pdfinfo, pdffonts), and each page rendered to PNG (pdftoppm).
 */
export function readPdf(pdf: Buffer, options: { pngDir?: string; name?: string } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'pdf-'));
  try {
    const file = path.join(dir, 'doc.pdf');
    writeFileSync(file, pdf);
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' });
    const out = options.pngDir ?? dir;
    execFileSync('pdftoppm', ['-png', '-r', '60', file, path.join(out, options.name ?? 'page')]);
    const pngs = readdirSync(out)
      .filter((f) => f.startsWith(options.name ?? 'page') && f.endsWith('.png'))
      .map((f) => readFileSync(path.join(out, f)));
    return {
      text,
      /** The text without any white space. */
      flat: text.replace(/\s+/g, ''),
      pages: Number(/^Pages:\s+(\d+)/m.exec(info)?.[1] ?? 0),
      fonts,
      pngs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `text` without white space, to look for in readPdf's `flat`. */
export const flat = (text: string) => text.replace(/\s+/g, '');
