/**
 * The layout every hazard document shares, as a Chinese county's paper forms have it (GB/T 9704's 公文 in spirit):
 * the issuing body over a bold title, the number (〔2026〕YH-2026-000123号) under it, the addressee unit, the body and
 * its numbered findings, the signatures, then the issuing body's name and the date in Chinese at the bottom right.
 * Rendered with pdfkit and the whole Noto Serif SC (宋体-like) from its npm package: pdfkit embeds only the glyphs used,
 * so a one-page document is some tens of kB, and no font is fetched at run time.
 */
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';

const require = createRequire(import.meta.url);
const FONT_FILES = {
  regular: '@expo-google-fonts/noto-serif-sc/400Regular/NotoSerifSC_400Regular.ttf',
  bold: '@expo-google-fonts/noto-serif-sc/700Bold/NotoSerifSC_700Bold.ttf',
} as const;

/** A parsed font (fontkit's), which pdfkit takes as a font source as it takes a path. */
type FontkitFont = { layout: (...args: unknown[]) => unknown };
const fontkit = require('fontkit') as { openSync(path: string): FontkitFont };

/**
 * The two faces, parsed once for the process: parsing them (their layout tables are large) is most of the time of a
 * document, about 0.5 s each time where kept parsed it is some tens of ms. Each document still subsets them anew.
 */
let parsed: { regular: FontkitFont; bold: FontkitFont } | undefined;
function fonts(): { regular: FontkitFont; bold: FontkitFont } {
  parsed ??= {
    regular: fontkit.openSync(require.resolve(FONT_FILES.regular)),
    bold: fontkit.openSync(require.resolve(FONT_FILES.bold)),
  };
  return parsed;
}

/**
 * Parses the fonts and lays out a line now, so that the first document (in a report's transaction, under a card
 * callback's 3-second budget) does not pay for it: about 0.5 s once per process.
 */
export function warmDocumentFonts(): void {
  const { regular, bold } = fonts();
  for (const font of [regular, bold]) font.layout('隐患整改通知书〔2026〕YH-2026-000123号：，。年月日');
}

/** One numbered finding (一、隐患地点：…): its label and text; a finding without text is left out. */
export interface DocumentItem {
  label: string;
  text: string | null | undefined;
}

export interface DocumentLayout {
  /** The issuing body over the title (示例县应急管理局). */
  issuer: string;
  /** 隐患整改通知书 */
  title: string;
  /** 〔2026〕YH-2026-000123号 */
  number: string;
  /** The unit addressed (城关化工有限公司), written `城关化工有限公司：`. */
  addressee?: string;
  /** Paragraphs before the findings. */
  opening: string[];
  items: DocumentItem[];
  /** Paragraphs after the findings. */
  closing: string[];
  /** Lines of names at the foot (检查人：王检查    签收人：________). */
  signatures: string[];
  /** The date in Chinese (2026年12月7日). */
  date: string;
  /** The document's creation time (its metadata): the same input makes the same bytes. */
  createdAt: Date;
  /** The subject in the PDF's metadata (the hazard's code). */
  subject: string;
}

const NUMERALS = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/** 1 → 一, 12 → 十二, 20 → 二十 (up to 99). */
export function chineseNumber(n: number): string {
  if (n <= 10) return NUMERALS[n] ?? String(n);
  const tens = Math.floor(n / 10);
  const ones = n % 10;
  return `${tens === 1 ? '' : NUMERALS[tens]}十${NUMERALS[ones]}`;
}

/** `2026-12-07` → 2026年12月7日. */
export function chineseDate(localDate: string): string {
  const [y, m, d] = localDate.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}

const PAGE = { size: 'A4' as const, margins: { top: 72, bottom: 64, left: 78, right: 72 } };
const BODY_SIZE = 13;
const LINE_GAP = 5;

/** Renders `layout` to a PDF. */
export function renderDocument(layout: DocumentLayout): Promise<Buffer> {
  const doc = new PDFDocument({
    ...PAGE,
    info: {
      Title: layout.title,
      Author: layout.issuer,
      Subject: layout.subject,
      Creator: 'hazard-bot',
      CreationDate: layout.createdAt,
    },
    lang: 'zh-CN',
    displayTitle: true,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const { regular, bold } = fonts();
  // pdfkit takes a parsed font as it takes a path (its types say only paths and buffers).
  doc.registerFont('body', regular as unknown as string);
  doc.registerFont('bold', bold as unknown as string);
  const width = doc.page.width - PAGE.margins.left - PAGE.margins.right;
  const left = PAGE.margins.left;
  const indent = BODY_SIZE * 2; // 首行缩进两字

  doc.font('body').fontSize(15).fillColor('#b00000').text(layout.issuer, left, doc.y, { width, align: 'center' });
  doc.moveDown(0.3);
  doc.font('bold').fontSize(22).fillColor('black').text(layout.title, { width, align: 'center', characterSpacing: 2 });
  doc.moveDown(0.4);
  doc.font('body').fontSize(12).text(layout.number, { width, align: 'center' });
  doc.moveDown(0.3);
  const ruleY = doc.y;
  doc
    .moveTo(left, ruleY)
    .lineTo(left + width, ruleY)
    .lineWidth(1.2)
    .strokeColor('#b00000')
    .stroke();
  doc.y = ruleY + 14;

  doc.font('body').fontSize(BODY_SIZE).fillColor('black');
  const paragraph = (text: string) => {
    doc.text(text, left, doc.y, { width, indent, lineGap: LINE_GAP, paragraphGap: 3, align: 'justify' });
  };
  if (layout.addressee) doc.text(`${layout.addressee}：`, left, doc.y, { width, lineGap: LINE_GAP });
  for (const text of layout.opening) paragraph(text);
  let n = 0;
  for (const item of layout.items) {
    const text = item.text?.trim();
    if (!text) continue;
    n += 1;
    const head = `${chineseNumber(n)}、${item.label}：`;
    // The bold head, then the text from its end (pdfkit's `continued` lost the bold now and then).
    const y = doc.y;
    doc.font('bold');
    const headWidth = doc.widthOfString(head);
    doc.text(head, left + indent, y, { lineBreak: false });
    doc.font('body').text(text, left, y, {
      width,
      indent: indent + headWidth,
      lineGap: LINE_GAP,
      paragraphGap: 3,
      align: 'justify',
    });
  }
  for (const text of layout.closing) paragraph(text);

  // The foot (signatures, issuer, date) stays together: a new page when it would not fit.
  const footHeight = (layout.signatures.length + 3) * (BODY_SIZE + LINE_GAP) + 24;
  if (doc.y + footHeight > doc.page.height - PAGE.margins.bottom) doc.addPage();
  doc.moveDown(1);
  for (const line of layout.signatures) doc.text(line, left, doc.y, { width, indent, lineGap: LINE_GAP });
  doc.moveDown(1.2);
  const footWidth = width * 0.55;
  const footLeft = left + width - footWidth;
  doc.text(layout.issuer, footLeft, doc.y, { width: footWidth, align: 'center', lineGap: LINE_GAP });
  doc.text(layout.date, footLeft, doc.y, { width: footWidth, align: 'center', lineGap: LINE_GAP });
  doc.end();
  return done;
}
