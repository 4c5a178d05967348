/**
 * The spreadsheet form of the directory: one sheet (or CSV file) per list, Chinese headers first. English keys (the
 * JSON field names) are accepted as headers too, so a sheet exported by another program can be loaded as it is.
 */

export type ListKind = 'regions' | 'departments' | 'people' | 'enterprises';

export interface ColumnDef {
  field: string;
  /** The header written in templates and exports. */
  header: string;
  /** Other headers accepted on import. */
  aliases: string[];
  required: boolean;
  example: string;
}

export interface SheetDef {
  kind: ListKind;
  /** The sheet name in templates and exports. */
  title: string;
  /** Other sheet and CSV file names recognised on import. */
  aliases: string[];
  columns: ColumnDef[];
}

const col = (field: string, header: string, aliases: string[], required: boolean, example: string): ColumnDef => ({
  field,
  header,
  aliases,
  required,
  example,
});

export const SHEETS: readonly SheetDef[] = [
  {
    kind: 'regions',
    title: '区域',
    aliases: ['regions', '乡镇', '区域表', '乡镇街道'],
    columns: [
      col('code', '区域编码', ['code', '乡镇编码'], true, 'town-01'),
      col('name', '区域名称', ['name', '乡镇名称'], true, '城关镇'),
      col('parent', '上级区域', ['parent', '上级区域编码'], false, ''),
      col('chatId', '群聊ID', ['chatId', 'chat_id', '乡镇群聊ID'], false, ''),
    ],
  },
  {
    kind: 'departments',
    title: '部门',
    aliases: ['departments', '主管部门', '部门表'],
    columns: [
      col('code', '部门编码', ['code'], true, 'yjj'),
      col('name', '部门名称', ['name'], true, '县应急管理局'),
      col('sectors', '监管行业', ['sectors', '行业'], false, '工贸、危险化学品'),
    ],
  },
  {
    kind: 'people',
    title: '人员',
    aliases: ['people', '人员表', '联系人'],
    columns: [
      col('code', '人员编码', ['code'], true, 'p001'),
      col('name', '姓名', ['name'], true, '张三'),
      col('mobile', '手机号', ['mobile', '手机', '手机号码', '联系电话'], false, '13800000001'),
      col('email', '邮箱', ['email', '电子邮箱'], false, ''),
      col('openId', '飞书OpenID', ['openId', 'open_id', 'OpenID'], false, ''),
      col('role', '角色', ['role'], false, '检查员'),
      col('scope', '范围', ['scope', '角色范围'], false, 'county'),
    ],
  },
  {
    kind: 'enterprises',
    title: '企业',
    aliases: ['enterprises', '企业表', '单位', '企业名录'],
    columns: [
      col('code', '企业编码', ['code', '单位编码'], true, 'e001'),
      col('name', '企业名称', ['name', '单位名称'], true, '某某化工有限公司'),
      col('creditCode', '统一社会信用代码', ['creditCode', '信用代码'], false, '91350100M000100Y43'),
      col('region', '所属乡镇', ['region', '所属区域'], true, 'town-01'),
      col('sectors', '行业', ['sectors', '所属行业'], false, '危险化学品'),
      col('department', '主管部门', ['department', '行业主管部门'], false, 'yjj'),
      col('principal', '主要负责人', ['principal'], false, 'p001'),
      col('safetyOfficer', '安全管理员', ['safetyOfficer'], false, ''),
      col('address', '地址', ['address', '详细地址'], false, '城关镇工业园 1 号'),
      col('chatId', '群聊ID', ['chatId', 'chat_id'], false, ''),
      col('verified', '已核实', ['verified'], false, '是'),
    ],
  },
];

export function sheetDef(kind: ListKind): SheetDef {
  return SHEETS.find((s) => s.kind === kind)!;
}

/** Headers are compared without spaces, a required-marker `*` and notes in brackets: “手机号（必填）” is 手机号. */
export function normalizeHeader(text: string): string {
  return text
    .replace(/[（(][^）)]*[）)]/g, '')
    .replace(/[\s*＊]/g, '')
    .toLowerCase();
}

export function findColumn(def: SheetDef, header: string): ColumnDef | undefined {
  const wanted = normalizeHeader(header);
  if (!wanted) return undefined;
  return def.columns.find((c) => [c.header, ...c.aliases].some((h) => normalizeHeader(h) === wanted));
}

/** Which list a sheet holds: by its name (区域, people.csv…), else by its code column (区域编码 → regions). */
export function identifySheet(name: string, headers: string[]): SheetDef | undefined {
  const base = normalizeHeader(name.replace(/\.(csv|xlsx)$/i, ''));
  const byName = SHEETS.find((s) => [s.title, ...s.aliases].some((n) => normalizeHeader(n) === base));
  if (byName) return byName;
  const normalized = headers.map(normalizeHeader);
  return SHEETS.find((s) => normalized.includes(normalizeHeader(s.columns[0]!.header)));
}
