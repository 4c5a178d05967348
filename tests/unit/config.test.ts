import { describe, expect, it } from 'vitest';
import { ConfigError, isSandbox, listenHost, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      DATA_DIR: './data',
      FEISHU_BASE_URL: 'https://open.feishu.cn',
      FEISHU_EVENT_MODE: 'webhook',
      BOT_TIMEZONE: 'Asia/Shanghai',
      LOG_LEVEL: 'info',
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(isSandbox(config)).toBe(true);
  });

  it('listens on every interface with a Feishu app, and only on this machine in sandbox mode, unless HOST says', () => {
    const app = { FEISHU_APP_ID: 'cli_0123456789abcdef', FEISHU_APP_SECRET: 's', FEISHU_VERIFICATION_TOKEN: 't' };
    expect(listenHost(loadConfig({}))).toBe('127.0.0.1');
    expect(listenHost(loadConfig(app))).toBe('0.0.0.0');
    expect(listenHost(loadConfig({ HOST: '0.0.0.0' }))).toBe('0.0.0.0');
    expect(listenHost(loadConfig({ ...app, HOST: '10.0.0.5' }))).toBe('10.0.0.5');
  });

  it('in production, missing Feishu credentials stop the start rather than fall back to sandbox mode', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /FEISHU_APP_ID：生产环境（NODE_ENV=production）必须设置/,
    );
    const app = { FEISHU_APP_ID: 'cli_0123456789abcdef', FEISHU_APP_SECRET: 's', FEISHU_VERIFICATION_TOKEN: 't' };
    expect(isSandbox(loadConfig({ ...app, NODE_ENV: 'production' }))).toBe(false);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ PORT: 3000, DATABASE_URL: undefined });
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'abc',
        DATABASE_URL: 'mysql://root@localhost/db',
        FEISHU_EVENT_MODE: 'carrier-pigeon',
        BOT_TIMEZONE: 'Mars/Olympus',
        LOG_LEVEL: 'loud',
        FEISHU_BASE_URL: 'not a url',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'FEISHU_EVENT_MODE', 'BOT_TIMEZONE', 'LOG_LEVEL', 'FEISHU_BASE_URL']) {
      expect(problems).toContain(`${name}：应为`);
    }
    expect((error as Error).message).toMatch(/^配置有误（invalid configuration）：\n/);
    expect((error as Error).message).toContain('  - PORT：应为 0 到 65535 的整数（当前值 "abc"）');
  });

  it('never echoes secret values in its messages', () => {
    try {
      loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x', ADMIN_TOKEN: 'short-secret' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
      expect((error as Error).message).not.toContain('short-secret');
      expect((error as Error).message).toContain('ADMIN_TOKEN');
    }
  });

  it('takes OUTBOX_MAX_WAIT_HOURS in hours (24 by default) and refuses none or a fortnight and more', () => {
    expect(loadConfig({}).OUTBOX_MAX_WAIT_HOURS).toBe(24);
    expect(loadConfig({ OUTBOX_MAX_WAIT_HOURS: '0.5' }).OUTBOX_MAX_WAIT_HOURS).toBe(0.5);
    expect(() => loadConfig({ OUTBOX_MAX_WAIT_HOURS: '0' })).toThrow(/OUTBOX_MAX_WAIT_HOURS：应大于 0/);
    expect(() => loadConfig({ OUTBOX_MAX_WAIT_HOURS: '500' })).toThrow(/OUTBOX_MAX_WAIT_HOURS：最多 336 小时/);
    expect(() => loadConfig({ OUTBOX_MAX_WAIT_HOURS: 'soon' })).toThrow(/OUTBOX_MAX_WAIT_HOURS：应为小时数/);
  });

  it('binds read tokens to scopes by name, and refuses a scope for a token it does not know', () => {
    const tokens = { API_TOKENS: 'dashboard:0123456789abcdef,town01:fedcba9876543210' };
    expect(loadConfig({ ...tokens, API_TOKEN_SCOPES: 'town01=region:town-01' }).API_TOKEN_SCOPES).toEqual({
      town01: 'region:town-01',
    });
    expect(() => loadConfig({ ...tokens, API_TOKEN_SCOPES: 'bi=region:town-01' })).toThrow(
      /API_TOKEN_SCOPES：令牌名称“bi”不在 API_TOKENS 中/,
    );
    expect(() => loadConfig({ ...tokens, API_TOKEN_SCOPES: 'town01=town-01' })).toThrow(/API_TOKEN_SCOPES：应为/);
  });

  it('rejects ports out of range and half-configured Feishu credentials', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig({ FEISHU_APP_ID: 'cli_0123456789abcdef' })).toThrow(
      'FEISHU_APP_SECRET：必须填写（已设置 FEISHU_APP_ID）',
    );
    expect(() => loadConfig({ FEISHU_APP_ID: 'cli_0123456789abcdef', FEISHU_APP_SECRET: 's' })).toThrow(
      /FEISHU_VERIFICATION_TOKEN/,
    );
  });

  it('accepts a full production configuration and trims the base URL', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgresql://bot@db:5432/hazards',
      FEISHU_APP_ID: 'cli_0123456789abcdef',
      FEISHU_APP_SECRET: 'secret',
      FEISHU_ENCRYPT_KEY: 'key',
      FEISHU_BASE_URL: 'https://open.larksuite.com/',
      FEISHU_EVENT_MODE: 'websocket',
      ADMIN_TOKEN: 'a-long-enough-admin-token',
    });
    expect(config.PORT).toBe(8080);
    expect(config.FEISHU_BASE_URL).toBe('https://open.larksuite.com');
    expect(isSandbox(config)).toBe(false);
  });
});

describe('QUIET_HOURS (免打扰时段)', () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      return (error as ConfigError).problems.join('\n');
    }
    return '';
  };

  it('takes a night window, across midnight or not, and off', () => {
    expect(loadConfig({}).QUIET_HOURS).toEqual({ start: '22:00', end: '07:30' });
    expect(loadConfig({ QUIET_HOURS: '17:00-09:00' }).QUIET_HOURS).toEqual({ start: '17:00', end: '09:00' });
    expect(loadConfig({ QUIET_HOURS: '00:00-07:00' }).QUIET_HOURS).toEqual({ start: '00:00', end: '07:00' });
    expect(loadConfig({ QUIET_HOURS: 'off' }).QUIET_HOURS).toBeNull();
    expect(loadConfig({}).QUIET_HOURS_COVER_WORKDAY).toBe(false);
  });

  it('refuses an empty window rather than reading it as "off", and says how to turn quiet hours off', () => {
    expect(problemsOf({ QUIET_HOURS: '00:00-00:00' })).toBe(
      'QUIET_HOURS：开始与结束都是 00:00，免打扰时段为空；要关闭免打扰请写 QUIET_HOURS=off，' +
        '要设置时段请写开始和结束，如 22:00-07:30（当前值 "00:00-00:00"）',
    );
    // Confirming the working day does not make an empty window acceptable.
    expect(problemsOf({ QUIET_HOURS: '12:00-12:00', QUIET_HOURS_COVER_WORKDAY: 'yes' })).toMatch(/免打扰时段为空/);
  });

  it('stops a window written the wrong way round, which would mute ordinary reminders all day, and names the fix', () => {
    const problem = problemsOf({ QUIET_HOURS: '07:30-22:00' });
    expect(problem).toContain('QUIET_HOURS：免打扰时段（每天 07:30 至 22:00）覆盖了整个工作时间 09:00–17:00');
    expect(problem).toContain('一般隐患的提醒要等到免打扰结束（22:00）才发出');
    expect(problem).toContain('若是把起止写反了，应为 QUIET_HOURS=22:00-07:30（每天 22:00 至次日 07:30）');
    expect(problem).toContain('确需如此，请同时设置 QUIET_HOURS_COVER_WORKDAY=yes');
  });

  it('stops any window that reaches into 09:00–17:00, naming the parts it covers', () => {
    const problem = problemsOf({ QUIET_HOURS: '16:00-10:00' });
    expect(problem).toContain('覆盖了工作时间中的 09:00–10:00、16:00–17:00');
    // Swapped it would cover 10:00–16:00: no "wrong way round" hint then.
    expect(problem).not.toContain('写反');
    expect(problemsOf({ QUIET_HOURS: '12:00-13:30' })).toContain('覆盖了工作时间中的 12:00–13:30');
    expect(problemsOf({ QUIET_HOURS: '22:00-09:01' })).toContain('覆盖了工作时间中的 09:00–09:01');
    expect(problemsOf({ QUIET_HOURS: '16:59-23:00' })).toContain('覆盖了工作时间中的 16:59–17:00');
    // The working day's edges are free: 17:00 is after it, 09:00 is its first minute.
    expect(problemsOf({ QUIET_HOURS: '17:00-09:00' })).toBe('');
  });

  it('lets a window over the working day through when QUIET_HOURS_COVER_WORKDAY=yes confirms it', () => {
    const config = loadConfig({ QUIET_HOURS: '12:00-13:30', QUIET_HOURS_COVER_WORKDAY: 'yes' });
    expect(config.QUIET_HOURS).toEqual({ start: '12:00', end: '13:30' });
    expect(config.QUIET_HOURS_COVER_WORKDAY).toBe(true);
    expect(problemsOf({ QUIET_HOURS: '12:00-13:30', QUIET_HOURS_COVER_WORKDAY: 'no' })).toContain('12:00–13:30');
    expect(problemsOf({ QUIET_HOURS_COVER_WORKDAY: 'true' })).toBe(
      'QUIET_HOURS_COVER_WORKDAY：应为 yes（确认免打扰时段可以覆盖工作时间）或 no（当前值 "true"）',
    );
  });

  it('lists a malformed window with the other problems, not a crash', () => {
    const problems = problemsOf({ QUIET_HOURS: '22-7', PORT: 'abc' });
    expect(problems).toContain('QUIET_HOURS：应为 HH:MM-HH:MM');
    expect(problems).toContain('PORT：');
  });
});

describe('SMS settings', () => {
  const aliyun = {
    SMS_PROVIDER: 'aliyun',
    SMS_ACCESS_KEY_ID: 'LTAI5tExampleKeyId',
    SMS_ACCESS_KEY_SECRET: 'an-example-secret-value',
    SMS_SIGN_NAME: '某某县应急管理局',
    SMS_TEMPLATE_CODE: 'SMS_123456789',
  };

  it('are off by default, with a budget of 200 a day', () => {
    const config = loadConfig({});
    expect(config.SMS_PROVIDER).toBeUndefined();
    expect(config.SMS_DAILY_BUDGET).toBe(200);
    expect(loadConfig({ SMS_PROVIDER: 'off' }).SMS_PROVIDER).toBeUndefined();
    expect(loadConfig({ SMS_PROVIDER: '' }).SMS_PROVIDER).toBeUndefined();
  });

  it('accept a complete Alibaba Cloud configuration', () => {
    const config = loadConfig({
      ...aliyun,
      SMS_LINK_TEMPLATE_CODE: 'SMS_987654321',
      SMS_DAILY_BUDGET: '50',
      SMS_ENDPOINT: 'http://127.0.0.1:9000',
    });
    expect(config).toMatchObject({
      SMS_PROVIDER: 'aliyun',
      SMS_SIGN_NAME: '某某县应急管理局',
      SMS_TEMPLATE_CODE: 'SMS_123456789',
      SMS_LINK_TEMPLATE_CODE: 'SMS_987654321',
      SMS_DAILY_BUDGET: 50,
      SMS_ENDPOINT: 'http://127.0.0.1:9000',
    });
  });

  it('name every missing setting, in Chinese, when SMS are switched on', () => {
    let error: unknown;
    try {
      loadConfig({ SMS_PROVIDER: 'aliyun' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    for (const key of ['SMS_ACCESS_KEY_ID', 'SMS_ACCESS_KEY_SECRET', 'SMS_SIGN_NAME', 'SMS_TEMPLATE_CODE']) {
      expect(problems).toContain(`${key}：必须填写（已开启短信 SMS_PROVIDER=aliyun）`);
    }
    expect(() => loadConfig({ ...aliyun, SMS_SIGN_NAME: '' })).toThrow('SMS_SIGN_NAME：必须填写');
  });

  it('refuse values that cannot work, saying what is expected', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return '';
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
    };
    expect(problems({ SMS_PROVIDER: 'tencent' })).toMatch(/SMS_PROVIDER：应为 aliyun.*腾讯云短信尚未接入/);
    expect(problems({ ...aliyun, SMS_SIGN_NAME: '【某某县应急管理局】' })).toContain('不要带【】');
    expect(problems({ ...aliyun, SMS_TEMPLATE_CODE: '123456' })).toContain('SMS_TEMPLATE_CODE：应为阿里云控制台');
    expect(problems({ ...aliyun, SMS_DAILY_BUDGET: '0' })).toContain('SMS_DAILY_BUDGET：应为 1 到 100000 的整数');
    expect(problems({ ...aliyun, SMS_DAILY_BUDGET: 'lots' })).toContain('SMS_DAILY_BUDGET');
    expect(problems({ ...aliyun, SMS_ENDPOINT: 'https://dysmsapi.aliyuncs.com/path' })).toContain('SMS_ENDPOINT');
  });

  it('never echo the access key in a message', () => {
    try {
      loadConfig({ ...aliyun, SMS_ACCESS_KEY_ID: 'LTAI-visible?', SMS_DAILY_BUDGET: '-1', SMS_SIGN_NAME: '' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('an-example-secret-value');
      expect((error as Error).message).not.toContain('LTAI-visible?');
    }
  });

  it('takes the web view only with a session secret of 32 characters or more, and never echoes it', () => {
    expect(loadConfig({}).PUBLIC_URL).toBeUndefined();
    expect(loadConfig({}).FEISHU_ACCOUNTS_URL).toBe('https://accounts.feishu.cn');
    const secret = 'x'.repeat(32);
    const on = loadConfig({ PUBLIC_URL: 'https://yh.example.gov.cn/', SESSION_SECRET: secret });
    expect(on.PUBLIC_URL).toBe('https://yh.example.gov.cn');
    expect(() => loadConfig({ PUBLIC_URL: 'https://yh.example.gov.cn' })).toThrow(/SESSION_SECRET：必须填写/);
    try {
      loadConfig({ PUBLIC_URL: 'https://yh.example.gov.cn', SESSION_SECRET: 'too-short-secret-value' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain('SESSION_SECRET：至少 32 个字符');
      expect((error as Error).message).not.toContain('too-short-secret-value');
    }
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://yh.example', SESSION_SECRET: secret })).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ PUBLIC_URL: 'https://yh.example/?a=1', SESSION_SECRET: secret })).toThrow(/PUBLIC_URL/);
  });
});
