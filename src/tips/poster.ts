/**
 * 举报二维码 posters (interface.md "Public tips"): an A4 sheet per township or unit, for a notice board or a factory
 * gate, whose QR code opens the tip form already knowing the place (`/tip?region=…` or `/tip?unit=…`). The same layout
 * as a PDF (pdfkit, to print) and a PNG (an SVG rendered by resvg, to post in a group chat or a WeChat article), both
 * with the whole Noto Serif SC from its package: no font is fetched, every glyph is there. The PNG's text is drawn as
 * the glyphs' outlines (fontkit), so resvg has no font to load: loading a CJK font into resvg took seconds a poster.
 */
import { createRequire } from 'node:module';
import { renderAsync } from '@resvg/resvg-js';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';

const require = createRequire(import.meta.url);
type Glyph = { path: { toSVG(): string }; advanceWidth: number };
type FontkitFont = { unitsPerEm: number; layout(text: string): { glyphs: Glyph[]; positions: { xAdvance: number }[] } };
const fontkit = require('fontkit') as { openSync(path: string): FontkitFont };

const FONT_FILES = {
  regular: require.resolve('@expo-google-fonts/noto-serif-sc/400Regular/NotoSerifSC_400Regular.ttf'),
  bold: require.resolve('@expo-google-fonts/noto-serif-sc/700Bold/NotoSerifSC_700Bold.ttf'),
};

export interface PosterInput {
  /** The county (COUNTY_NAME or the directory's root region). */
  countyName: string;
  /** The township's or the unit's name. */
  placeName: string;
  /** What the QR code opens: `<PUBLIC_URL>/tip?region=…` or `?unit=…`. */
  url: string;
}

/** National work-safety tip hotline (应急管理部 12350). */
const HOTLINE = '12350';
const RED = '#c8161d';

/** The poster's text, top to bottom, shared by both formats. */
function lines(input: PosterInput) {
  return {
    heading: '安全生产隐患举报',
    place: `${input.countyName} · ${input.placeName}`,
    ask: '看到安全隐患，扫码告诉我们',
    examples: '违规动火 · 消防通道堵塞 · 无证作业 · 危化品乱放 · 冒险作业',
    promises: [
      '可以匿名举报，实名举报的个人信息严格保密',
      '10 个工作日内答复，可凭查询码查看办理结果',
      '查证属实的，按规定给予奖励',
    ],
    hotline: `全国安全生产举报电话：${HOTLINE}`,
    url: input.url,
  };
}

/** The QR code's dark modules as one SVG path in module units (quiet zone excluded). */
function qrMatrix(url: string): { size: number; dark: (row: number, col: number) => boolean } {
  // Level M survives a creased or sun-faded print; the URL is short, so the code stays coarse.
  const code = QRCode.create(url, { errorCorrectionLevel: 'M' });
  const size = code.modules.size;
  return { size, dark: (row, col) => code.modules.get(row, col) === 1 };
}

/** The two faces (the PNG's outlines, the PDF's text), parsed once for the process (the parse is most of a poster's time). */
let outlineFonts: { regular: FontkitFont; bold: FontkitFont } | undefined;
function fontsForOutlines() {
  outlineFonts ??= { regular: fontkit.openSync(FONT_FILES.regular), bold: fontkit.openSync(FONT_FILES.bold) };
  return outlineFonts;
}

/** `content` centred on x at baseline y, as one SVG path of its glyphs' outlines. */
function textOutline(font: FontkitFont, content: string, size: number, centreX: number, baseline: number): string {
  const run = font.layout(content);
  const scale = size / font.unitsPerEm;
  const width = run.positions.reduce((sum, p) => sum + p.xAdvance, 0) * scale;
  let x = centreX - width / 2;
  const parts: string[] = [];
  run.glyphs.forEach((glyph, i) => {
    const d = glyph.path.toSVG();
    if (d) {
      parts.push(
        `<path transform="translate(${x.toFixed(2)} ${baseline}) scale(${scale.toFixed(5)} ${(-scale).toFixed(5)})" d="${d}"/>`,
      );
    }
    x += (run.positions[i]?.xAdvance ?? glyph.advanceWidth) * scale;
  });
  return parts.join('');
}

const W = 1240;
const H = 1754;
/** The QR code's box on the 1240 × 1754 sheet (A4 at 150 dpi), and its quiet zone in modules (the standard's 4). */
const QR_SIDE = 600;
const QR_TOP = 590;
const QUIET_MODULES = 4;

export function posterSvg(input: PosterInput): string {
  const text = lines(input);
  const qr = qrMatrix(input.url);
  // Whole pixels per module, so no seam of anti-aliasing runs between neighbouring modules.
  const cell = Math.floor(QR_SIDE / qr.size);
  const qrSide = cell * qr.size;
  const qrX = Math.round((W - qrSide) / 2);
  const qrY = QR_TOP + Math.round((QR_SIDE - qrSide) / 2);
  const quiet = QUIET_MODULES * cell;
  let path = '';
  for (let row = 0; row < qr.size; row++) {
    for (let col = 0; col < qr.size; col++) {
      if (qr.dark(row, col)) path += `M${qrX + col * cell} ${qrY + row * cell}h${cell}v${cell}h-${cell}z`;
    }
  }
  const faces = fontsForOutlines();
  const t = (y: number, size: number, content: string, options: { bold?: boolean; fill?: string } = {}) =>
    `<g fill="${options.fill ?? '#1f2329'}">` +
    textOutline(options.bold ? faces.bold : faces.regular, content, size, W / 2, y) +
    '</g>';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<rect width="${W}" height="300" fill="${RED}"/>`,
    t(170, 110, text.heading, { bold: true, fill: '#ffffff' }),
    t(255, 44, text.place, { fill: '#ffffff' }),
    t(400, 60, text.ask, { bold: true }),
    t(480, 36, text.examples, { fill: '#646a73' }),
    `<rect x="${qrX - quiet}" y="${qrY - quiet}" width="${qrSide + 2 * quiet}" height="${qrSide + 2 * quiet}" fill="#ffffff" stroke="${RED}" stroke-width="6" rx="16"/>`,
    `<path d="${path}" fill="#000000" shape-rendering="crispEdges"/>`,
    ...text.promises.map((p, i) => t(1360 + i * 64, 38, p)),
    t(1590, 44, text.hotline, { bold: true, fill: RED }),
    t(1670, 26, text.url, { fill: '#8f959e' }),
    '</svg>',
  ].join('');
}

/** Rendered on libuv's thread pool (some hundreds of ms of work): the event loop keeps answering Feishu meanwhile. */
export async function posterPng(input: PosterInput): Promise<Buffer> {
  const image = await renderAsync(posterSvg(input), { font: { loadSystemFonts: false }, background: '#ffffff' });
  return Buffer.from(image.asPng());
}

/** The same poster on A4 (595 × 842 pt), its QR code drawn as vector squares so it prints sharp at any size. */
export function posterPdf(input: PosterInput): Promise<Buffer> {
  const text = lines(input);
  const doc = new PDFDocument({ size: 'A4', margin: 0, info: { Title: `${text.heading}（${input.placeName}）` } });
  // pdfkit takes a parsed fontkit font as it takes a path, and subsets it per document.
  const faces = fontsForOutlines();
  doc.registerFont('regular', faces.regular as unknown as string);
  doc.registerFont('bold', faces.bold as unknown as string);
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const pageW = 595.28;
  const scale = pageW / W;
  const centred = (y: number, size: number, content: string, font: 'regular' | 'bold', colour = '#1f2329') => {
    doc
      .font(font)
      .fontSize(size * scale)
      .fillColor(colour);
    doc.text(content, 0, (y - size * 0.85) * scale, { width: pageW, align: 'center', lineBreak: false });
  };
  doc.rect(0, 0, pageW, 300 * scale).fill(RED);
  centred(170, 110, text.heading, 'bold', '#ffffff');
  centred(255, 44, text.place, 'regular', '#ffffff');
  centred(400, 60, text.ask, 'bold');
  centred(480, 36, text.examples, 'regular', '#646a73');
  const qr = qrMatrix(input.url);
  const side = QR_SIDE * scale;
  const cell = side / qr.size;
  const x0 = (pageW - side) / 2;
  const y0 = QR_TOP * scale;
  const quiet = QUIET_MODULES * cell;
  doc
    .roundedRect(x0 - quiet, y0 - quiet, side + 2 * quiet, side + 2 * quiet, 16 * scale)
    .lineWidth(6 * scale)
    .stroke(RED);
  for (let row = 0; row < qr.size; row++) {
    for (let col = 0; col < qr.size; col++)
      if (qr.dark(row, col)) doc.rect(x0 + col * cell, y0 + row * cell, cell, cell);
  }
  doc.fill('#000000');
  for (const [i, p] of text.promises.entries()) centred(1360 + i * 64, 38, p, 'regular');
  centred(1590, 44, text.hotline, 'bold', RED);
  centred(1670, 26, text.url, 'regular', '#8f959e');
  doc.end();
  return done;
}
