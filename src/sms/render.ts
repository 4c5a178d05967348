/**
 * What an SMS says, as the values of the county's registered template (docs/deploy.md, 短信模板). Pure: the
 * reminder code renders the values and queues them (enqueue.ts); the gateway fills the template.
 *
 * Alibaba Cloud's rules shape the values: every value a non-empty string, no URL inside a value
 * (isv.PARAM_NOT_SUPPORT_URL: the link's address is fixed text of the template, only its path is a value), no 【】
 * (they mark the signature), no special symbols, short (the per-value limit of notification templates is not
 * documented; 20 characters stays under every figure reported).
 */
import { checkMobile } from '../directory/field-checks.js';
import { isLocalDate } from '../domain/local-time.js';
import type { SmsTemplateParams } from './gateway.js';

export interface SmsNotice {
  /** The hazard's number, e.g. YH-2026-000123. */
  hazardCode: string;
  unitName: string;
  /** The deadline, a local date YYYY-MM-DD. */
  deadline: string;
  /** What the person is asked to do, short: 请确认接收并按措施整改, 已超期，请立即整改… */
  ask: string;
  /** The hazard's page for this person (http/https), or null: the SMS then goes without a link. */
  link: string | null;
}

/** The longest value of a free-text slot, in characters. */
export const SMS_VALUE_MAX = 20;

/** Thrown for a notice that cannot be rendered (a programming error upstream, not a user's input). */
export class SmsInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmsInputError';
  }
}

const URL_PATTERN = /(https?:\/\/|www\.)\S*/gi;
// Symbols the template rules refuse (★※→①¥…), control characters and the signature's brackets.
const REFUSED = /[\p{So}\p{Sk}\p{Sc}\p{No}\p{Co}\p{Cn}\p{Cc}\p{Cf}【】[\]]/gu;
const MATH_SYMBOLS = /[\p{Sm}]/gu;

/** A value fit for a template slot: one line, no URL or refused symbol, at most `max` characters. */
export function cleanSmsValue(text: string, max = SMS_VALUE_MAX): string {
  const cleaned = text
    .replace(URL_PATTERN, ' ')
    .replace(/\s+/g, ' ') // before the control characters go: a line break becomes a space
    .replace(REFUSED, '')
    .replace(MATH_SYMBOLS, (c) => (c === '+' ? c : ''))
    .replace(/ {2,}/g, ' ')
    .trim();
  return Array.from(cleaned).slice(0, max).join('').trim();
}

/** `2026-05-20` → `2026年5月20日` (the template's time slot). */
function chineseDate(date: string): string {
  const [year, month, day] = date.split('-');
  return `${year}年${Number(month)}月${Number(day)}日`;
}

/** The link's path and query after its site's address: the template holds `https://<site>/` as fixed text. */
function linkPath(link: string): string {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new SmsInputError(`短信链接不是有效的网址：${link}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new SmsInputError(`短信链接应为 http(s) 网址：${link}`);
  const path = `${url.pathname}${url.search}`.replace(/^\/+/, '');
  if (!path) throw new SmsInputError(`短信链接缺少路径（只有站点地址由模板固定）：${link}`);
  return path;
}

/**
 * The template values of a notice: Chinese, short, safe for the gateway's rules. A unit name or request that is
 * empty once cleaned gets a plain wording rather than an empty value (which the gateway refuses).
 */
export function renderSmsParams(notice: SmsNotice): SmsTemplateParams {
  const code = notice.hazardCode.trim();
  if (!/^[A-Za-z0-9-]{1,20}$/.test(code)) throw new SmsInputError(`隐患编号不适合放入短信：${notice.hazardCode}`);
  if (!isLocalDate(notice.deadline)) throw new SmsInputError(`整改期限应为 YYYY-MM-DD：${notice.deadline}`);
  const params: SmsTemplateParams = {
    code,
    unit: cleanSmsValue(notice.unitName) || '贵单位',
    action: cleanSmsValue(notice.ask) || '请按要求整改',
    deadline: chineseDate(notice.deadline),
  };
  if (notice.link !== null) params.link = linkPath(notice.link);
  return params;
}

/** A mainland mobile as 11 digits (spaces, dashes, +86 tolerated), or the reason it is not one. */
export function normalizeMobile(raw: string): { ok: true; phone: string } | { ok: false; reason: string } {
  const checked = checkMobile(raw);
  return checked.ok ? { ok: true, phone: checked.value } : { ok: false, reason: checked.reason };
}

/** 13800000001 → 138****0001: logs name the recipient without carrying the whole number. */
export function maskMobile(phone: string): string {
  return phone.length === 11 ? `${phone.slice(0, 3)}****${phone.slice(7)}` : '***';
}
