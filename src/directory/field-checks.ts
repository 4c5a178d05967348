/** Checks of single values in a directory import. Each returns the normalised value, or a reason in Chinese. */

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(reason: string): Checked<T> => ({ ok: false, reason });

/** Mainland mobile numbers: 11 digits starting with 1[3-9]. Spaces, dashes and a +86 prefix are tolerated. */
export function checkMobile(text: string): Checked<string> {
  let digits = text.replace(/[\s-]/g, '');
  if (/^(\+?86)\d{11}$/.test(digits)) digits = digits.slice(-11);
  if (!/^1[3-9]\d{9}$/.test(digits)) return fail(`手机号“${text}”格式不正确，应为 11 位中国大陆手机号`);
  return ok(digits);
}

export function checkEmail(text: string): Checked<string> {
  const value = text.trim();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return fail(`邮箱“${text}”格式不正确`);
  return ok(value.toLowerCase());
}

/** The 31 characters of a unified social credit code (GB 32100-2015): digits and capitals without I, O, S, V, Z. */
const CREDIT_CODE_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The check character for the first 17 characters of a credit code, or undefined when one is not allowed. */
export function creditCodeCheckChar(first17: string): string | undefined {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = CREDIT_CODE_CHARS.indexOf(first17[i] ?? '');
    if (value < 0) return undefined;
    sum += value * CREDIT_CODE_WEIGHTS[i]!;
  }
  return CREDIT_CODE_CHARS[(31 - (sum % 31)) % 31];
}

export function checkCreditCode(text: string): Checked<string> {
  const value = text.trim().toUpperCase();
  if (value.length !== 18) return fail(`统一社会信用代码“${text}”应为 18 位，实际 ${value.length} 位`);
  const expected = creditCodeCheckChar(value.slice(0, 17));
  if (expected === undefined || !CREDIT_CODE_CHARS.includes(value[17]!)) {
    return fail(`统一社会信用代码“${text}”含有不允许的字符（不使用 I、O、S、V、Z）`);
  }
  if (value[17] !== expected) return fail(`统一社会信用代码“${text}”校验位不正确（按 GB 32100-2015 应为 ${expected}）`);
  return ok(value);
}

/** Codes are the county's own identifiers: any text without spaces, up to 64 characters. */
export function checkCode(text: string): Checked<string> {
  const value = text.trim();
  if (/\s/.test(value)) return fail(`编码“${text}”不能包含空格`);
  if (value.length > 64) return fail(`编码“${text}”过长（最多 64 个字符）`);
  return ok(value);
}

/** A Feishu group chat id (`oc_…`, from the group's settings or the chat API), not the group's name. */
export function checkChatId(text: string): Checked<string> {
  const code = checkCode(text);
  if (!code.ok) return code;
  if (!/^oc_[0-9A-Za-z_-]+$/.test(code.value)) {
    return fail(`群聊ID“${text}”应为飞书群的 chat_id（以 oc_ 开头），不是群名称`);
  }
  return code;
}

export function checkName(text: string, max = 200): Checked<string> {
  const value = text.trim();
  if (value.length > max) return fail(`内容过长（最多 ${max} 个字符）`);
  return ok(value);
}

/** Sectors are written as one cell: 工贸、危险化学品 (separated by 、 , ， ; ； or new lines). */
export function splitList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[、,，;；\n]/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

const YES = new Set(['是', 'y', 'yes', 'true', '1', '已核实']);
const NO = new Set(['否', 'n', 'no', 'false', '0', '未核实']);

export function checkYesNo(text: string): Checked<boolean> {
  const value = text.trim().toLowerCase();
  if (YES.has(value)) return ok(true);
  if (NO.has(value)) return ok(false);
  return fail(`“${text}”应为“是”或“否”`);
}
