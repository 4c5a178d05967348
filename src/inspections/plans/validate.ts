/**
 * The plan import (interface.md "Inspections, checklists and plans"): `{"plans": [{code, name, owner, from, to, every,
 * units, sample}]}` read into typed plans, every problem collected with its JSON path and reason, nothing stopping at
 * the first. Two steps: the shape of each value on its own (parsePlans), then the references to the directory
 * (checkPlanReferences, against a snapshot the caller loads). Pure: no I/O.
 */
import { parseScope } from '../../directory/model.js';
import { PLAN_FREQUENCIES, PLAN_FREQUENCY_LABELS, type PlanFrequency } from '../../domain/inspection.js';
import { isLocalDate } from '../../domain/local-time.js';
import { SECTORS } from '../../hazards/report-input.js';

/** One problem of an import, e.g. `{path: "plans[2].units.regions[0]", reason: "未知区域 …"}`. */
export interface PlanIssue {
  path: string;
  reason: string;
}

export interface PlanUnitsInput {
  sectors: string[];
  regions: string[];
  enterprises: string[];
}

export interface PlanInput {
  /** Where it was in the file (`plans[3]`), for problems found after parsing. */
  path: string;
  code: string;
  name: string;
  owner: { kind: 'department' | 'region'; code: string };
  from: string;
  to: string;
  every: PlanFrequency;
  /** As written (the store sorts them and drops repeats: a plan written in another order is the same plan). */
  units: PlanUnitsInput;
  sample: { share: number } | { count: number } | null;
}

/** A plan's code becomes part of a URL (`/api/admin/plans/<code>/redraw`): letters, digits, `.`, `_` and `-`. */
export const PLAN_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME_MAX = 100;
const LIST_MAX = 5000;

const PLAN_FIELDS = ['code', 'name', 'owner', 'from', 'to', 'every', 'units', 'sample'] as const;
const UNIT_FIELDS = ['sectors', 'regions', 'enterprises'] as const;
const SAMPLE_FIELDS = ['share', 'count'] as const;
/** What GET /api/admin/plans answers beside `plans`: accepted and ignored, so that its answer can be PUT back. */
const TOP_FIELDS = ['plans', 'inactive', 'versions'] as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What the reference checks read of a plan: also of a plan refused for its other fields, so that its owner and
 * units problems are listed in the same answer (the admin fixes the file once). */
export interface PlanDraft {
  path: string;
  owner: PlanInput['owner'] | undefined;
  units: PlanUnitsInput;
}

/**
 * Reads each plan's fields; answers the plans whose fields are all right, what could be read of every plan (drafts,
 * for checkPlanReferences), and every problem found.
 */
export function parsePlans(body: unknown): { plans: PlanInput[]; drafts: PlanDraft[]; issues: PlanIssue[] } {
  const issues: PlanIssue[] = [];
  const add = (path: string, reason: string) => issues.push({ path, reason });
  const plans: PlanInput[] = [];
  const drafts: PlanDraft[] = [];
  if (!isObject(body) || !Array.isArray(body.plans)) {
    add('plans', '请求体应为 {"plans": [ … ]}，plans 是计划的数组');
    return { plans, drafts, issues };
  }
  unknownFields(body, TOP_FIELDS, '', add);
  const seen = new Map<string, string>();
  body.plans.forEach((raw, index) => {
    const at = `plans[${index}]`;
    if (!isObject(raw)) {
      add(at, '每个计划应为一个对象 {"code", "name", "owner", "from", "to", "every", "units", "sample"}');
      return;
    }
    const before = issues.length;
    unknownFields(raw, PLAN_FIELDS, at, add);

    const code = text(raw.code, `${at}.code`, '计划编码', add);
    if (code !== undefined && !PLAN_CODE.test(code)) {
      add(`${at}.code`, `计划编码“${code}”只能由字母、数字和 . _ - 组成（不超过 64 个字符），例如 wh-2026-monthly`);
    }
    if (code !== undefined) {
      const earlier = seen.get(code);
      if (earlier) add(`${at}.code`, `计划编码 ${code} 重复（${earlier} 已有）`);
      else seen.set(code, at);
    }
    const name = text(raw.name, `${at}.name`, '计划名称', add);
    if (name !== undefined && name.length > NAME_MAX) add(`${at}.name`, `计划名称不能超过 ${NAME_MAX} 个字`);

    let owner: PlanInput['owner'] | undefined;
    const ownerText = text(raw.owner, `${at}.owner`, '负责单位（owner）', add);
    if (ownerText !== undefined) {
      const scope = parseScope(ownerText);
      if (scope && (scope.kind === 'department' || scope.kind === 'region'))
        owner = { kind: scope.kind, code: scope.code! };
      else add(`${at}.owner`, `owner 应为 "department:<部门编码>" 或 "region:<乡镇编码>"，而不是“${ownerText}”`);
    }

    const from = date(raw.from, `${at}.from`, '开始日期', add);
    const to = date(raw.to, `${at}.to`, '结束日期', add);
    if (from !== undefined && to !== undefined && from > to) {
      add(`${at}.to`, `结束日期 ${to} 早于开始日期 ${from}`);
    }

    let every: PlanFrequency | undefined;
    if (raw.every === undefined) add(`${at}.every`, `缺少 every：${frequencyChoices()}`);
    else if (typeof raw.every === 'string' && (PLAN_FREQUENCIES as readonly string[]).includes(raw.every)) {
      every = raw.every as PlanFrequency;
    } else add(`${at}.every`, `every 应为 ${frequencyChoices()}，而不是 ${JSON.stringify(raw.every)}`);

    const units = readUnits(raw.units, `${at}.units`, add);
    const sample = readSample(raw.sample, `${at}.sample`, add);

    drafts.push({ path: at, owner, units });
    if (issues.length === before) {
      plans.push({
        path: at,
        code: code!,
        name: name!,
        owner: owner!,
        from: from!,
        to: to!,
        every: every!,
        units,
        sample,
      });
    }
  });
  return { plans, drafts, issues };
}

function frequencyChoices(): string {
  return PLAN_FREQUENCIES.map((f) => `"${f}"（${PLAN_FREQUENCY_LABELS[f]}）`).join('、');
}

function unknownFields(
  value: Record<string, unknown>,
  known: readonly string[],
  at: string,
  add: (path: string, reason: string) => void,
): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      add(at ? `${at}.${key}` : key, `不认识的字段“${key}”；可用的字段：${known.join('、')}`);
    }
  }
}

function text(
  value: unknown,
  path: string,
  label: string,
  add: (path: string, reason: string) => void,
): string | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    add(path, `缺少${label}`);
    return undefined;
  }
  if (typeof value !== 'string') {
    add(path, `${label}应为文字，而不是 ${JSON.stringify(value)}`);
    return undefined;
  }
  return value.trim();
}

function date(
  value: unknown,
  path: string,
  label: string,
  add: (path: string, reason: string) => void,
): string | undefined {
  const written = text(value, path, label, add);
  if (written === undefined) return undefined;
  if (!isLocalDate(written)) {
    add(path, `${label}应为真实存在的日期 YYYY-MM-DD，而不是“${written}”`);
    return undefined;
  }
  return written;
}

function readUnits(value: unknown, at: string, add: (path: string, reason: string) => void): PlanUnitsInput {
  const units: PlanUnitsInput = { sectors: [], regions: [], enterprises: [] };
  if (value === undefined || value === null) return units;
  if (!isObject(value)) {
    add(
      at,
      'units 应为对象 {"sectors": [...], "regions": [...], "enterprises": [...]}（任一即可；不写则为负责单位范围内全部企业）',
    );
    return units;
  }
  unknownFields(value, UNIT_FIELDS, at, add);
  for (const field of UNIT_FIELDS) {
    const list = value[field];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      add(`${at}.${field}`, `${field} 应为数组，例如 ["${field === 'sectors' ? '危险化学品' : 'code'}"]`);
      continue;
    }
    if (list.length > LIST_MAX) add(`${at}.${field}`, `${field} 最多列 ${LIST_MAX} 项`);
    list.forEach((item, i) => {
      if (typeof item !== 'string' || item.trim() === '') add(`${at}.${field}[${i}]`, '应为非空文字');
      else units[field].push(item.trim());
    });
  }
  for (const [i, sector] of units.sectors.entries()) {
    if (!(SECTORS as readonly string[]).includes(sector)) {
      add(`${at}.sectors[${i}]`, `未知行业“${sector}”；可选：${SECTORS.join('、')}`);
    }
  }
  return units;
}

function readSample(value: unknown, at: string, add: (path: string, reason: string) => void): PlanInput['sample'] {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) {
    add(at, 'sample 应为 {"share": 0.2}（按比例抽取）或 {"count": 10}（按数量抽取）');
    return null;
  }
  unknownFields(value, SAMPLE_FIELDS, at, add);
  const { share, count } = value;
  if (share !== undefined && count !== undefined) {
    add(at, 'sample 的 share 与 count 只能写一个');
    return null;
  }
  if (share !== undefined) {
    if (typeof share !== 'number' || !Number.isFinite(share) || share <= 0 || share > 1) {
      add(`${at}.share`, `share 是抽取比例，应大于 0 且不超过 1（如 0.2 即 20%），而不是 ${JSON.stringify(share)}`);
      return null;
    }
    return { share };
  }
  if (count !== undefined) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
      add(`${at}.count`, `count 是每期抽取的企业数，应为不小于 1 的整数，而不是 ${JSON.stringify(count)}`);
      return null;
    }
    return { count };
  }
  add(at, 'sample 需要 share（比例）或 count（数量）之一');
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// References to the directory

/** What the reference checks need of the directory: active regions and departments, and the listed enterprises. */
export interface PlanDirectory {
  regions: Map<string, { id: number; name: string; parentId: number | null }>;
  departments: Map<string, { id: number; name: string; sectors: string[] }>;
  /** Active enterprises whose code or name a plan wrote. */
  enterprises: Map<
    string,
    { id: number; name: string; regionId: number; departmentId: number | null; sectors: string[] }
  >;
}

/**
 * Owner, regions and enterprises must exist (a name written for a code gets the code to use); a listed enterprise or
 * region must lie within the owner's scope, since a plan never reaches past its owner.
 */
export function checkPlanReferences(plans: readonly PlanDraft[], directory: PlanDirectory): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const add = (path: string, reason: string) => issues.push({ path, reason });
  const regionById = new Map([...directory.regions].map(([code, r]) => [r.id, { code, ...r }]));
  const hint = (names: Map<string, string[]>, value: string) => {
    const codes = names.get(value);
    if (!codes?.length) return '';
    return codes.length === 1
      ? `；“${value}”是名称，请填写它的编码 ${codes[0]}`
      : `；“${value}”是名称，同名的有 ${codes.join('、')}，请填写其中一个编码`;
  };
  const regionNames = namesToCodes(directory.regions);
  const departmentNames = namesToCodes(directory.departments);
  const enterpriseNames = namesToCodes(directory.enterprises);
  /** Whether region `id` is `ancestor` or lies below it. */
  const within = (id: number, ancestor: number) => {
    for (let at: number | null = id, depth = 0; at !== null && depth < 64; depth++) {
      if (at === ancestor) return true;
      at = regionById.get(at)?.parentId ?? null;
    }
    return false;
  };

  for (const plan of plans) {
    const ownerPath = `${plan.path}.owner`;
    let ownerRegion: number | undefined;
    let ownerDepartment: { id: number; sectors: string[]; name: string } | undefined;
    if (plan.owner === undefined) {
      // Refused for its form already; its units are still checked, against no owner.
    } else if (plan.owner.kind === 'region') {
      ownerRegion = directory.regions.get(plan.owner.code)?.id;
      if (ownerRegion === undefined) {
        add(ownerPath, `未知区域 ${plan.owner.code}：组织名录中没有${hint(regionNames, plan.owner.code)}`);
      }
    } else {
      ownerDepartment = directory.departments.get(plan.owner.code);
      if (!ownerDepartment) {
        add(ownerPath, `未知部门 ${plan.owner.code}：组织名录中没有${hint(departmentNames, plan.owner.code)}`);
      }
    }
    for (const [i, code] of plan.units.regions.entries()) {
      const region = directory.regions.get(code);
      const path = `${plan.path}.units.regions[${i}]`;
      if (!region) add(path, `未知区域 ${code}：组织名录中没有${hint(regionNames, code)}`);
      else if (ownerRegion !== undefined && !within(region.id, ownerRegion) && !within(ownerRegion, region.id)) {
        add(path, `区域 ${code}（${region.name}）不在负责单位 ${plan.owner!.code} 的范围内`);
      }
    }
    for (const [i, code] of plan.units.enterprises.entries()) {
      const unit = directory.enterprises.get(code);
      const path = `${plan.path}.units.enterprises[${i}]`;
      if (!unit) {
        add(path, `未知企业 ${code}：组织名录中没有（或已停用）${hint(enterpriseNames, code)}`);
        continue;
      }
      const inScope =
        ownerRegion !== undefined
          ? within(unit.regionId, ownerRegion)
          : ownerDepartment !== undefined
            ? unit.departmentId === ownerDepartment.id || unit.sectors.some((s) => ownerDepartment.sectors.includes(s))
            : true;
      if (!inScope) {
        add(
          path,
          ownerRegion !== undefined
            ? `企业 ${code}（${unit.name}）不在负责区域 ${plan.owner!.code} 内`
            : `企业 ${code}（${unit.name}）既不归 ${plan.owner!.code}（${ownerDepartment!.name}）主管，行业也不在其监管范围内`,
        );
      }
    }
  }
  return issues;
}

/** Name → the codes of the entries so named (for the hint when a name was written where a code belongs). */
function namesToCodes(entries: Map<string, { name: string }>): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const [code, entry] of entries) names.set(entry.name, [...(names.get(entry.name) ?? []), code]);
  return names;
}

/** The codes and names a set of plans writes where a unit belongs (to load only those enterprises). */
export function enterpriseReferences(plans: readonly PlanDraft[]): string[] {
  return [...new Set(plans.flatMap((p) => p.units.enterprises))];
}
