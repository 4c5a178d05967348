// `npm run directory:import -- <file…> [--merge] [--json]`: imports the directory from an .xlsx, a .json or .csv
// files into DATABASE_URL (or the embedded database in DATA_DIR), applying migrations first. Prints the report;
// exits 1 when the file is rejected (every problem is listed), 2 on a usage or configuration error.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfigForCli } from '../config.js';
import { openDatabase } from '../db/client.js';
import { applyMigrations } from '../db/migrate.js';
import { createFeishuClient } from '../feishu/client.js';
import type { IsBotInChat } from './check-chats.js';
import { type ImportCounts, type ImportReport, importDirectory } from './import.js';
import { type DirectoryIssue, listIssues } from './model.js';
import { parseDirectoryFiles } from './parse-files.js';
import type { ResolveUserIds } from './resolve-open-ids.js';

const USAGE = [
  '用法：npm run directory:import -- <名录.xlsx | 名录.json | 区域.csv 部门.csv …> [--merge] [--json]',
  '  --merge  合并到现有名录（默认整表替换：名录里没有的条目会被停用）',
  '  --json   以 JSON 输出导入报告或问题清单',
].join('\n');

export function formatReport(report: ImportReport): string {
  const counts = (label: string, c: ImportCounts) =>
    `  ${label}：新增 ${c.created}，更新 ${c.updated}，未变 ${c.unchanged}，停用 ${c.deactivated}`;
  const lines = [
    report.changed ? `导入完成（${report.mode === 'merge' ? '合并' : '整表替换'}）：` : '导入完成：名录没有变化。',
    counts('区域', report.regions),
    counts('部门', report.departments),
    counts('人员', report.people),
    counts('企业', report.enterprises),
    `  角色：新增 ${report.roles.created}，移除 ${report.roles.removed}，未变 ${report.roles.unchanged}`,
  ];
  if (report.unresolved.length > 0) {
    lines.push(`未能找到飞书账号的人员（${report.unresolved.length} 人，可稍后修正后重新导入）：`);
    for (const u of report.unresolved.slice(0, 50)) {
      lines.push(`  ${u.code} ${u.name} ${u.mobile ?? u.email ?? ''}：${u.reason}`);
    }
    if (report.unresolved.length > 50) lines.push(`  …另有 ${report.unresolved.length - 50} 人（--json 可列出全部）`);
  }
  if (report.unreachableChats.length > 0) {
    lines.push(`机器人发不进去的乡镇督办群（${report.unreachableChats.length} 个，绑定已保存）：`);
    for (const c of report.unreachableChats) lines.push(`  ${c.region} ${c.name} ${c.chatId}：${c.reason}`);
  }
  return lines.join('\n');
}

export function formatIssues(issues: DirectoryIssue[]): string {
  const { listed, moreText } = listIssues(issues);
  return [
    `名录有 ${issues.length} 处问题，未导入任何内容：`,
    ...listed.map(
      (i) => `  ${i.sheet || '文件'}${i.row ? ` 第 ${i.row} 行` : ''}${i.column ? `【${i.column}】` : ''}：${i.reason}`,
    ),
    ...(moreText ? [`  …${moreText}（--json 可列出全部）`] : []),
  ].join('\n');
}

async function main(args: string[]): Promise<number> {
  const merge = args.includes('--merge');
  const asJson = args.includes('--json');
  const files = args.filter((a) => !a.startsWith('--'));
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--merge' && a !== '--json');
  if (files.length === 0 || unknown.length > 0) {
    process.stderr.write(`${unknown.length ? `不认识的选项：${unknown.join(' ')}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const config = loadConfigForCli();
  if (!config) return 2;
  let uploads: { name: string; data: Buffer }[];
  try {
    uploads = files.map((file) => ({ name: path.basename(file), data: readFileSync(file) }));
  } catch (error) {
    process.stderr.write(`读取文件失败：${(error as Error).message}\n`);
    return 2;
  }
  const parsed = await parseDirectoryFiles(uploads);
  let resolveUserIds: ResolveUserIds | undefined;
  let isBotInChat: IsBotInChat | undefined;
  if (config.FEISHU_APP_ID && config.FEISHU_APP_SECRET) {
    const client = createFeishuClient({
      appId: config.FEISHU_APP_ID,
      appSecret: config.FEISHU_APP_SECRET,
      baseUrl: config.FEISHU_BASE_URL,
    });
    resolveUserIds = (query) => client.resolveUserIds(query);
    isBotInChat = (chatId) => client.isBotInChat(chatId);
  }
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    await applyMigrations(database);
    const result = await importDirectory(database.db, parsed, {
      mode: merge ? 'merge' : 'replace',
      resolveUserIds,
      isBotInChat,
      now: new Date(),
    });
    if (!result.ok) {
      if (asJson) process.stdout.write(`${JSON.stringify({ issues: result.issues }, null, 2)}\n`);
      else process.stderr.write(`${formatIssues(result.issues)}\n`);
      return 1;
    }
    process.stdout.write(`${asJson ? JSON.stringify(result.report, null, 2) : formatReport(result.report)}\n`);
    return 0;
  } finally {
    await database.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
