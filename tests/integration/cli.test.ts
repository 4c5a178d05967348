import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_DIRECTORY } from '../../src/dev/sample-county.js';

/** Runs a CLI the way `npm run …` does and collects what it prints. */
function runCli(script: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the command-line tools speak Chinese', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hazard-bot-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('directory:import without files prints its usage and exits 2', async () => {
    const result = await runCli('src/directory/cli.ts', ['--force'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('不认识的选项：--force');
    expect(result.stderr).toContain('用法：npm run directory:import --');
  });

  it('lists every configuration problem, in Chinese, and exits 2', async () => {
    const result = await runCli('src/db/migrate-cli.ts', [], { PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('配置有误');
    expect(result.stderr).toContain('PORT：应为 0 到 65535 的整数（当前值 "abc"）');
    expect(result.stderr).toContain('LOG_LEVEL：应为 fatal、error、warn、info、debug、trace、silent 之一');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('migrates, then imports a directory file and reports the counts', async () => {
    const dataDir = path.join(dir, 'data');
    const migrated = await runCli('src/db/migrate-cli.ts', [], { DATA_DIR: dataDir });
    expect(migrated.stderr).toBe('');
    expect(migrated.stdout).toBe(`数据库迁移已完成（内置数据库 ${dataDir}）\n`);
    expect(migrated.code).toBe(0);

    const file = path.join(dir, '名录.json');
    writeFileSync(file, JSON.stringify(SAMPLE_DIRECTORY));
    const imported = await runCli('src/directory/cli.ts', [file], { DATA_DIR: dataDir });
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('导入完成（整表替换）：');
    expect(imported.stdout).toContain('企业：新增 3，更新 0，未变 0，停用 0');

    writeFileSync(file, JSON.stringify({ ...SAMPLE_DIRECTORY, enterprises: [{ code: 'e9', name: '无主企业' }] }));
    const rejected = await runCli('src/directory/cli.ts', [file], { DATA_DIR: dataDir });
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/^名录有 \d+ 处问题，未导入任何内容：/);
  }, 120_000);
});
