import { describe, expect, it } from 'vitest';
import { ConfigError, isSandbox, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      DATA_DIR: './data',
      FEISHU_BASE_URL: 'https://open.feishu.cn',
      FEISHU_EVENT_MODE: 'webhook',
      BOT_TIMEZONE: 'Asia/Shanghai',
      LOG_LEVEL: 'info',
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(isSandbox(config)).toBe(true);
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
