/**
 * What a tip may hold, checked before anything is stored: the text fields' lengths, the phone's form, the photos'
 * count, size and type — read from their first bytes (JPEG, PNG, WebP, HEIC), never from the name or the declared
 * type, so a renamed program is refused. Pure.
 */
import { type TipChannel, tipChannelOf } from '../domain/tip.js';

export const TIP_LIMITS = {
  what: 2000,
  where: 200,
  unit: 100,
  name: 50,
  phone: 20,
  photos: 6,
  photoBytes: 10 * 1024 * 1024,
} as const;

export type TipField = 'what' | 'where' | 'unit' | 'region' | 'name' | 'phone' | 'photos';

export class TipInputError extends Error {
  constructor(
    readonly code: string,
    readonly field: TipField,
    message: string,
  ) {
    super(message);
  }
}

/** The text fields as received (every one optional at this point; `checkTipFields` says what is missing). */
export type TipFields = Partial<Record<'what' | 'where' | 'unit' | 'region' | 'name' | 'phone' | 'via', string>>;

export interface CheckedTipFields {
  what: string;
  where: string;
  unit: string | null;
  region: string | null;
  name: string | null;
  phone: string | null;
  /** How it came in (the form's hidden `via`: a unit's or a township's QR code, else the page). */
  channel: TipChannel;
}

// Mainland mobiles (1 and 10 more digits) and landlines with an area code (0xx-xxxxxxx), with optional +86.
const PHONE = /^(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/;
// Control characters other than tab and newline have no place in a tip (and break the pages and sheets).
const hasControl = (text: string) =>
  [...text].some((ch) => {
    const c = ch.codePointAt(0)!;
    return (c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f;
  });

/** The fields, trimmed and checked; the first problem is thrown as a TipInputError naming its field. */
export function checkTipFields(fields: TipFields): CheckedTipFields {
  const text = (
    field: Exclude<keyof TipFields, 'via'> & TipField,
    label: string,
    max: number,
    required: boolean,
  ): string | null => {
    const value = (fields[field] ?? '').replace(/\r\n?/g, '\n').trim();
    if (!value) {
      if (required) throw new TipInputError('missing_field', field, `请填写${label}（${field}）`);
      return null;
    }
    if (hasControl(value)) throw new TipInputError('invalid_field', field, `${label}（${field}）含有不可见的控制字符`);
    if ([...value].length > max)
      throw new TipInputError('field_too_long', field, `${label}（${field}）不能超过 ${max} 个字`);
    return value;
  };
  const what = text('what', '反映的问题', TIP_LIMITS.what, true)!;
  const where = text('where', '地点', TIP_LIMITS.where, true)!;
  const unit = text('unit', '单位', TIP_LIMITS.unit, false);
  const region = text('region', '乡镇', 64, false);
  const name = text('name', '姓名', TIP_LIMITS.name, false);
  const phoneTyped = text('phone', '电话', TIP_LIMITS.phone, false);
  const phone = phoneTyped ? phoneTyped.replace(/\s+/g, '') : null;
  if (phone && !PHONE.test(phone)) {
    throw new TipInputError(
      'invalid_phone',
      'phone',
      '电话（phone）格式不对：请填写手机号或带区号的座机号，也可以不填',
    );
  }
  return { what, where, unit, region, name, phone, channel: tipChannelOf(fields.via) };
}

const startsWith = (data: Buffer, bytes: number[], at = 0) => bytes.every((b, i) => data[at + i] === b);
const ascii = (data: Buffer, from: number, to: number) => data.subarray(from, to).toString('latin1');
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

/** The image type its bytes say (image/jpeg, image/png, image/webp, image/heic), or null for anything else. */
export function imageTypeOf(data: Buffer): string | null {
  if (data.length >= 3 && startsWith(data, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (data.length >= 8 && startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (data.length >= 12 && ascii(data, 0, 4) === 'RIFF' && ascii(data, 8, 12) === 'WEBP') return 'image/webp';
  if (data.length >= 12 && ascii(data, 4, 8) === 'ftyp' && HEIF_BRANDS.has(ascii(data, 8, 12))) return 'image/heic';
  return null;
}

/** One photo checked: its type from its bytes; the n-th (1-based) is named in the message. */
export function checkTipPhoto(data: Buffer, n: number): string {
  if (data.length > TIP_LIMITS.photoBytes) {
    throw new TipInputError('photo_too_large', 'photos', `第 ${n} 张照片（photos）超过 10 MB，请压缩后再传`);
  }
  const type = imageTypeOf(data);
  if (!type) {
    throw new TipInputError(
      'photo_not_image',
      'photos',
      `第 ${n} 张照片（photos）不是图片：只接受 JPEG、PNG、WebP 或 HEIC 格式的照片`,
    );
  }
  return type;
}
