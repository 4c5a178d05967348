import ExcelJS from 'exceljs';
import type { Db } from '../db/client.js';
import { type EnterpriseEntry, formatScope, ROLE_LABELS, type Role, type ScopeKind } from './model.js';
import { SHEETS, type SheetDef } from './sheets.js';
import { escapeCell } from './spreadsheet-cells.js';
import { loadDirectoryState } from './state.js';

/** The directory in the JSON format of interface.md (what PUT /api/admin/directory accepts). */
export interface DirectoryJson {
  regions: { code: string; name: string; parent: string | null; chatId: string | null }[];
  departments: { code: string; name: string; sectors: string[] }[];
  people: {
    code: string;
    name: string;
    mobile: string | null;
    email: string | null;
    openId: string | null;
    roles: { role: Role; scope: string }[];
  }[];
  /** An enterprise as the import reads it, without where in the file it came from. */
  enterprises: Omit<EnterpriseEntry, 'at' | 'columns' | 'given'>[];
}

/** The active directory, references as codes; importing it again in full changes nothing. */
export async function exportDirectory(db: Db): Promise<DirectoryJson> {
  const state = await loadDirectoryState(db);
  const { codeOf } = state;
  const code = (map: Map<number, string>, id: number | null) => (id === null ? null : (map.get(id) ?? null));
  const scopeCode: Record<Exclude<ScopeKind, 'county'>, Map<number, string>> = {
    region: codeOf.region,
    department: codeOf.department,
    enterprise: codeOf.enterprise,
  };
  const rolesOf = new Map<number, { role: Role; scope: string }[]>();
  for (const r of state.roles) {
    const scope =
      r.scopeKind === 'county'
        ? { kind: 'county' as const }
        : { kind: r.scopeKind, code: scopeCode[r.scopeKind].get(r.scopeId) };
    if (scope.kind !== 'county' && scope.code === undefined) continue;
    const list = rolesOf.get(r.personId) ?? [];
    list.push({ role: r.role as Role, scope: formatScope(scope) });
    rolesOf.set(r.personId, list);
  }
  const active = <T extends { active: boolean }>(map: Map<string, T>) => [...map.values()].filter((row) => row.active);
  return {
    regions: active(state.regions).map((r) => ({
      code: r.code,
      name: r.name,
      parent: code(codeOf.region, r.parentId),
      chatId: r.chatId,
    })),
    departments: active(state.departments).map((d) => ({ code: d.code, name: d.name, sectors: d.sectors })),
    people: active(state.people).map((p) => ({
      code: p.code,
      name: p.name,
      mobile: p.mobile,
      email: p.email,
      openId: p.openId,
      roles: rolesOf.get(p.id) ?? [],
    })),
    enterprises: active(state.enterprises).map((e) => ({
      code: e.code,
      name: e.name,
      creditCode: e.creditCode,
      region: code(codeOf.region, e.regionId)!,
      sectors: e.sectors,
      department: code(codeOf.department, e.departmentId),
      principal: code(codeOf.person, e.principalId),
      safetyOfficer: code(codeOf.person, e.safetyOfficerId),
      address: e.address,
      chatId: e.chatId,
      verified: e.verified,
    })),
  };
}

type Row = Record<string, string | null | undefined>;

/** One row per list entry; a person with several roles gets one row per role (the import reads them back so). */
function rowsFor(def: SheetDef, directory: DirectoryJson): Row[] {
  switch (def.kind) {
    case 'regions':
      return directory.regions.map((r) => ({ code: r.code, name: r.name, parent: r.parent, chatId: r.chatId }));
    case 'departments':
      return directory.departments.map((d) => ({ code: d.code, name: d.name, sectors: d.sectors.join('、') }));
    case 'people':
      return directory.people.flatMap((p) => {
        const base = { code: p.code, name: p.name, mobile: p.mobile, email: p.email, openId: p.openId };
        if (p.roles.length === 0) return [base];
        return p.roles.map((r) => ({ ...base, role: ROLE_LABELS[r.role], scope: r.scope }));
      });
    case 'enterprises':
      return directory.enterprises.map((e) => ({
        ...e,
        sectors: e.sectors.join('、'),
        verified: e.verified ? '是' : '否',
      }));
  }
}

const NOTES = [
  ['填写说明', ''],
  [
    '区域',
    '乡镇/街道等区域，一行一个；上级区域填写上级的区域编码（县级部署留空即可）。群聊ID填乡镇安全生产工作群的 chat_id（以 oc_ 开头，机器人须在群内），超期督办会在群里 @ 相关责任人；也可由乡镇领导在群里 @机器人 发送“绑定 乡镇名称”。留空保留已设置的群，填“无”则取消。',
  ],
  ['部门', '行业主管部门；监管行业可填多个，用顿号（、）分隔。'],
  ['人员', '一人多个角色时，每个角色一行，重复人员编码（其余列可留空）。没有飞书OpenID时，按手机号或邮箱自动查找。'],
  ['角色', Object.values(ROLE_LABELS).join('、')],
  ['范围', 'county（全县）、region:<区域编码>、department:<部门编码>、enterprise:<企业编码>'],
  ['企业', '所属乡镇填区域编码，主管部门填部门编码，主要负责人与安全管理员填人员编码；统一社会信用代码可不填。'],
  ['导入', '整表导入会停用文件中没有列出的条目（不会删除）；任何一处错误都会使整个文件不被导入，并列出全部问题。'],
];

/** The directory as an xlsx workbook, one sheet per list; without a directory, the template with one example row. */
export function directoryWorkbook(directory?: DirectoryJson): ExcelJS.Workbook {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'hazard-bot';
  for (const def of SHEETS) {
    const sheet = workbook.addWorksheet(def.title);
    sheet.columns = def.columns.map((c) => ({
      header: c.header,
      key: c.field,
      width: Math.max(12, c.header.length * 2 + 4),
    }));
    sheet.getRow(1).font = { bold: true };
    sheet.views = [{ state: 'frozen', ySplit: 1 }];
    const rows = directory ? rowsFor(def, directory) : [exampleRow(def)];
    for (const row of rows) {
      // Every value is written as text, escaped: a name such as "=cmd|…" must stay text in whoever's Excel opens it.
      sheet.addRow(Object.fromEntries(def.columns.map((c) => [c.field, escapeCell(row[c.field] ?? '')])));
    }
    // Mobiles and codes are text: keep Excel from turning 13800000001 into 1.38E+10 when people type new rows.
    for (let c = 1; c <= def.columns.length; c++) sheet.getColumn(c).numFmt = '@';
  }
  if (!directory) {
    const notes = workbook.addWorksheet('填写说明');
    notes.columns = [{ width: 10 }, { width: 100 }];
    for (const line of NOTES) notes.addRow(line);
    notes.getRow(1).font = { bold: true };
  }
  return workbook;
}

function exampleRow(def: SheetDef): Row {
  return Object.fromEntries(def.columns.map((c) => [c.field, c.example]));
}

export async function workbookBuffer(workbook: ExcelJS.Workbook): Promise<Buffer> {
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
