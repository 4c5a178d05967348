import { describe, expect, it } from 'vitest';
import { classifyAliyunAnswer, classifyAliyunError, parseSmsEndpoint } from '../../src/sms/aliyun.js';
import { smsBudgetDay } from '../../src/sms/budget.js';
import {
  cleanSmsValue,
  maskMobile,
  normalizeMobile,
  renderSmsParams,
  SMS_VALUE_MAX,
  SmsInputError,
} from '../../src/sms/render.js';

const notice = {
  hazardCode: 'YH-2026-000123',
  unitName: '城关镇红星化工有限公司',
  deadline: '2026-05-20',
  ask: '请确认接收并按措施整改',
  link: null,
};

describe('renderSmsParams', () => {
  it('fills the template slots: number, unit, what is asked, the deadline in Chinese', () => {
    expect(renderSmsParams(notice)).toEqual({
      code: 'YH-2026-000123',
      unit: '城关镇红星化工有限公司',
      action: '请确认接收并按措施整改',
      deadline: '2026年5月20日',
    });
  });

  it('puts only the path of a link in its slot: the site address is fixed text of the template', () => {
    const params = renderSmsParams({ ...notice, link: 'https://yh.example.gov.cn/s/YH-2026-000123?k=Ab3_x' });
    expect(params.link).toBe('s/YH-2026-000123?k=Ab3_x');
    expect(Object.values(params).join(' ')).not.toMatch(/https?:|www\./);
  });

  it('refuses a link that is not an http(s) address with a path', () => {
    expect(() => renderSmsParams({ ...notice, link: 'not a url' })).toThrow(SmsInputError);
    expect(() => renderSmsParams({ ...notice, link: 'ftp://x.cn/a' })).toThrow(/http/);
    expect(() => renderSmsParams({ ...notice, link: 'https://x.cn/' })).toThrow(/路径/);
  });

  it('keeps every free-text value short, on one line, without URLs, 【】 or refused symbols', () => {
    const params = renderSmsParams({
      ...notice,
      unitName: '【测试】★某某县某某镇某某某某某某某某某某机械制造有限责任公司①',
      ask: '请整改\n见 https://evil.example.com/x 及 www.x.cn ¥→',
    });
    expect(Array.from(params.unit)).toHaveLength(SMS_VALUE_MAX);
    expect(params.unit.startsWith('测试某某县')).toBe(true);
    expect(params.unit).not.toMatch(/[【】★①]/);
    expect(params.action).toBe('请整改 见 及');
  });

  it('never leaves a slot empty (the gateway refuses empty values)', () => {
    const params = renderSmsParams({ ...notice, unitName: '  【】 ', ask: 'https://x.cn' });
    expect(params.unit).toBe('贵单位');
    expect(params.action).toBe('请按要求整改');
  });

  it('refuses a deadline or hazard number that cannot be right', () => {
    expect(() => renderSmsParams({ ...notice, deadline: '2026-02-30' })).toThrow(/YYYY-MM-DD/);
    expect(() => renderSmsParams({ ...notice, deadline: '5月20日' })).toThrow(SmsInputError);
    expect(() => renderSmsParams({ ...notice, hazardCode: 'YH 2026 000123 很长的编号' })).toThrow(/编号/);
  });

  it('cleanSmsValue counts characters, not UTF-16 units', () => {
    expect(cleanSmsValue('𠮷'.repeat(30), 5)).toBe('𠮷'.repeat(5));
  });
});

describe('mobile numbers', () => {
  it('normalises a mainland mobile and explains a bad one in Chinese', () => {
    expect(normalizeMobile('+86 138-0000-0001')).toEqual({ ok: true, phone: '13800000001' });
    const bad = normalizeMobile('010-12345678');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toContain('11 位中国大陆手机号');
  });

  it('masks the middle of a number for logs', () => {
    expect(maskMobile('13800000001')).toBe('138****0001');
    expect(maskMobile('123')).toBe('***');
  });
});

describe('the budget day', () => {
  it('is the local day in BOT_TIMEZONE: a new day at local midnight, not UTC midnight', () => {
    expect(smsBudgetDay(new Date('2026-05-19T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-05-19');
    expect(smsBudgetDay(new Date('2026-05-19T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-05-20');
    expect(smsBudgetDay(new Date('2026-05-19T16:00:00Z'), 'UTC')).toBe('2026-05-19');
  });
});

describe('Alibaba Cloud answers', () => {
  it('OK with a BizId is sent', () => {
    expect(classifyAliyunAnswer({ code: 'OK', bizId: '900619746936498440^0' })).toEqual({
      ok: true,
      bizId: '900619746936498440^0',
    });
  });

  it.each([
    ['isv.MOBILE_NUMBER_ILLEGAL', '非法手机号', 'permanent', undefined],
    ['isv.SMS_SIGNATURE_SCENE_ILLEGAL', '签名场景不符', 'permanent', undefined],
    ['isv.OUT_OF_SERVICE', '余额不足', 'permanent', undefined],
    ['isv.DAY_LIMIT_CONTROL', '触发日发送限额', 'permanent', undefined],
    ['isv.BUSINESS_LIMIT_CONTROL', '触发分钟级流控Permits:1', 'transient', 60_000],
    ['isv.BUSINESS_LIMIT_CONTROL', '触发小时级流控Permits:5', 'transient', 3_600_000],
    ['isv.BUSINESS_LIMIT_CONTROL', '触发天级流控Permits:10', 'permanent', undefined],
    ['isp.SYSTEM_ERROR', 'isp.SYSTEM_ERROR', 'transient', undefined],
  ])('%s (%s) is %s', (code, message, kind, retryAfterMs) => {
    const result = classifyAliyunAnswer({ code, message });
    expect(result).toMatchObject({ ok: false, kind, code });
    if (!result.ok) expect(result.retryAfterMs).toBe(retryAfterMs);
  });

  it('sorts thrown errors: HTTP errors by status and code, network errors by whether the request went out', () => {
    const http = (name: string, statusCode: number, code: string, extra = {}) =>
      Object.assign(new Error(`code: ${statusCode}, x`), { name, statusCode, code, ...extra });
    expect(classifyAliyunError(http('ServerError', 503, 'ServiceUnavailable'))).toMatchObject({ kind: 'transient' });
    expect(classifyAliyunError(http('ThrottlingError', 400, 'Throttling.User', { retryAfter: 5000 }))).toMatchObject({
      kind: 'transient',
      retryAfterMs: 5000,
    });
    expect(classifyAliyunError(http('ClientError', 404, 'InvalidAccessKeyId.NotFound'))).toMatchObject({
      kind: 'permanent',
      code: 'InvalidAccessKeyId.NotFound',
    });
    expect(classifyAliyunError(http('ClientError', 400, 'isv.BUSINESS_LIMIT_CONTROL'))).toMatchObject({
      kind: 'transient',
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(classifyAliyunError(refused)).toMatchObject({ kind: 'transient', code: 'ECONNREFUSED' });
    const connectTimeout = Object.assign(new Error('ConnectTimeout: Connect http://x failed.'), {
      name: 'RequestTimeoutError',
    });
    // The SDK's connect timeout is the socket's idle timeout: it also fires while a written request waits.
    expect(classifyAliyunError(connectTimeout)).toMatchObject({ kind: 'unknown', code: 'ConnectTimeout' });
    const readTimeout = Object.assign(new Error('ReadTimeout(10000). POST http://x failed.'), {
      name: 'RequestTimeoutError',
    });
    expect(classifyAliyunError(readTimeout)).toMatchObject({ kind: 'unknown', code: 'ReadTimeout' });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(classifyAliyunError(reset)).toMatchObject({ kind: 'unknown', code: 'ECONNRESET' });
  });

  it('takes the endpoint as a host or as a URL', () => {
    expect(parseSmsEndpoint(undefined)).toEqual({ protocol: 'https', host: 'dysmsapi.aliyuncs.com' });
    expect(parseSmsEndpoint('dysmsapi.aliyuncs.com')).toEqual({ protocol: 'https', host: 'dysmsapi.aliyuncs.com' });
    expect(parseSmsEndpoint('http://127.0.0.1:9000/')).toEqual({ protocol: 'http', host: '127.0.0.1:9000' });
  });
});
