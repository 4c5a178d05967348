/**
 * The shape of the code, checked: one module writes each table, no import cycles, the boundaries between layers
 * (engineering.md "Shape of the code"), and no file past ~400 lines without a reason at its top. Read from the source
 * text, so that a change that breaks a rule fails here with the file and line to look at.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const files = sourceFiles().map((file) => ({
  file: path.relative(SRC, file).split(path.sep).join('/'),
  text: readFileSync(file, 'utf8'),
}));

/** Each table (schema variable, SQL name) and the one module that writes it. */
const OWNERS: [string, string, string][] = [
  ['regions', 'regions', 'directory/store.ts'],
  ['departments', 'departments', 'directory/store.ts'],
  ['people', 'people', 'directory/store.ts'],
  ['enterprises', 'enterprises', 'directory/store.ts'],
  ['roleAssignments', 'role_assignments', 'directory/store.ts'],
  ['inboundEvents', 'inbound_events', 'feishu/event-store.ts'],
  ['outbox', 'outbox', 'feishu/outbox.ts'],
  ['hazardCounters', 'hazard_counters', 'hazards/repository.ts'],
  ['hazards', 'hazards', 'hazards/repository.ts'],
  ['hazardEvents', 'hazard_events', 'hazards/repository.ts'],
  ['reportDrafts', 'report_drafts', 'hazards/drafts.ts'],
  ['hazardPhotos', 'hazard_photos', 'hazards/drafts.ts'],
  ['hazardCards', 'hazard_cards', 'hazards/cards/delivery.ts'],
  ['hazardDocuments', 'hazard_documents', 'hazards/documents/store.ts'],
  ['reminderSteps', 'reminder_steps', 'reminders/sweep/write.ts'],
  ['reminderSweepState', 'reminder_sweep_state', 'reminders/sweep/lease.ts'],
  ['schedulerSlots', 'scheduler_slots', 'reminders/scheduler.ts'],
  ['digestDeliveries', 'digest_deliveries', 'reminders/digest.ts'],
  ['reminderSettingsState', 'reminder_settings_state', 'reminders/settings-state.ts'],
  ['smsBudgetDays', 'sms_budget_days', 'sms/budget.ts'],
  ['urgentBudgetDays', 'urgent_budget_days', 'feishu/urgent-budget.ts'],
  ['inspections', 'inspections', 'inspections/repository.ts'],
  ['inspectionItems', 'inspection_items', 'inspections/repository.ts'],
  ['inspectionEvents', 'inspection_events', 'inspections/repository.ts'],
  ['inspectionCounters', 'inspection_counters', 'inspections/repository.ts'],
  ['checklists', 'checklists', 'inspections/checklists/store.ts'],
  ['checklistItems', 'checklist_items', 'inspections/checklists/store.ts'],
  ['inspectionPlans', 'inspection_plans', 'inspections/plans/store.ts'],
  ['inspectionDraws', 'inspection_draws', 'inspections/plans/store.ts'],
  ['hazardClocks', 'hazard_clocks', 'hazards/clocks.ts'],
  ['governancePlans', 'governance_plans', 'hazards/plan-store.ts'],
  ['statisticsConfirmations', 'statistics_confirmations', 'ledger/statistics-duty.ts'],
  ['taskGroups', 'task_groups', 'hazards/task-group/store.ts'],
  ['tipCounters', 'tip_counters', 'tips/repository.ts'],
  ['tips', 'tips', 'tips/repository.ts'],
  ['tipEvents', 'tip_events', 'tips/repository.ts'],
  ['tipPhotos', 'tip_photos', 'tips/repository.ts'],
  ['tipCards', 'tip_cards', 'tips/repository.ts'],
  ['rateLimitHits', 'rate_limit_hits', 'http/rate-limit-store.ts'],
  ['tipReminderSteps', 'tip_reminder_steps', 'reminders/sweep/tips.ts'],
];

/** The modules that write `table` (drizzle's insert/update/delete, or SQL text), with the first line of each. */
function writersOf(variable: string, name: string): string[] {
  const drizzle = new RegExp(`\\.(insert|update|delete)\\(\\s*${variable}\\s*\\)`);
  const text = new RegExp(`\\b(insert\\s+into|update|delete\\s+from)\\s+${name}\\b`, 'i');
  const writers: string[] = [];
  for (const { file, text: source } of files) {
    if (file.startsWith('db/') || file.startsWith('dev/')) continue;
    const lines = source.split('\n');
    const line = lines.findIndex((l) => drizzle.test(l) || (text.test(l) && !/^\s*(\*|\/\/)/.test(l)));
    if (line >= 0) writers.push(`${file}:${line + 1}`);
  }
  return writers;
}

describe('one module writes each table', () => {
  it.each(OWNERS)('%s (%s) is written by %s alone', (variable, name, owner) => {
    const writers = writersOf(variable, name);
    expect(writers.filter((w) => !w.startsWith(`${owner}:`))).toEqual([]);
    // The owner writes it by name, or through a statement of its own that takes the table (an import's upsert).
    const ownerText = files.find((f) => f.file === owner)?.text ?? '';
    expect(writers.length > 0 || new RegExp(`\\b${variable}\\b`).test(ownerText), owner).toBe(true);
  });

  it('every table of the schema has its owner listed here', () => {
    const schema = files
      .filter((f) => f.file.startsWith('db/schema/'))
      .map((f) => f.text)
      .join('\n');
    const tables = [...schema.matchAll(/export const (\w+) = pgTable\(/g)].map((m) => m[1]);
    expect(tables.sort()).toEqual(OWNERS.map(([variable]) => variable).sort());
  });
});

/** Relative imports of each module (type-only ones too: they tie modules together just the same). */
const imports = new Map(
  files.map(({ file, text }) => {
    const targets = [...text.matchAll(/^(?:import|export)\s[^'";]*?from\s+'(\.[^']+)'/gm)].map((m) =>
      path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!.replace(/\.js$/, '.ts'))),
    );
    return [file, targets];
  }),
);

describe('imports', () => {
  it('resolve to files of src/', () => {
    const missing = [...imports].flatMap(([file, targets]) =>
      targets.filter((t) => !imports.has(t)).map((t) => `${file} → ${t}`),
    );
    expect(missing).toEqual([]);
  });

  it('form no cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const target of imports.get(file) ?? []) visit(target, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of imports.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  const importers = (rule: (from: string, to: string) => boolean) =>
    [...imports].flatMap(([from, targets]) => targets.filter((to) => rule(from, to)).map((to) => `${from} → ${to}`));

  it('domain/ imports nothing of ours outside domain/', () => {
    expect(importers((from, to) => from.startsWith('domain/') && !to.startsWith('domain/'))).toEqual([]);
  });

  it('the features never import chat/, http/ or the receivers', () => {
    const feature = /^(hazards|reminders|directory|ledger|inspections|tips)\//;
    const outer = /^(chat|http|web)\/|^feishu\/receivers\//;
    expect(importers((from, to) => feature.test(from) && outer.test(to))).toEqual([]);
  });

  it('nothing but server.ts imports dev/', () => {
    expect(importers((from, to) => to.startsWith('dev/') && !from.startsWith('dev/') && from !== 'server.ts')).toEqual(
      [],
    );
  });

  it('only feishu/ imports the SDK', () => {
    const sdk = files.filter(({ text }) => /from '@larksuiteoapi\/node-sdk'/.test(text)).map((f) => f.file);
    expect(sdk.filter((file) => !file.startsWith('feishu/') && !file.startsWith('dev/'))).toEqual([]);
  });
});

describe('the SMS gateway', () => {
  it('only sms/aliyun.ts imports the Alibaba Cloud SDK', () => {
    const sdk = files.filter(({ text }) => /from '@alicloud\//.test(text)).map((f) => f.file);
    expect(sdk).toEqual(['sms/aliyun.ts']);
  });
});

describe('one calendar', () => {
  it('is made from the settings alone: every feature and route uses the configured one', () => {
    const makers = files
      .filter(({ file, text }) => !file.startsWith('domain/') && /\bcreateCalendar\(/.test(text))
      .map((f) => f.file);
    expect(makers).toEqual(['reminders/settings.ts']);
  });
});

describe('file size', () => {
  it('no file past ~400 lines without saying at its top why it stays whole', () => {
    const long = files
      .filter(({ text }) => text.split('\n').length > 440)
      .filter(({ text }) => !/Kept whole because/i.test(text.slice(0, 2000)))
      .map(({ file, text }) => `${file} (${text.split('\n').length} lines)`);
    expect(long).toEqual([]);
  });
});

describe('the integration tests', () => {
  // Their files share a worker's modules (vitest.config.ts, isolate: false): what one file mocks, stubs or fakes
  // would still be in place for the next.
  const dir = path.resolve(import.meta.dirname, '../integration');
  const leaks =
    /\bvi\.(mock|doMock|stubEnv|stubGlobal|useFakeTimers|spyOn)\(|process\.env\.\w+\s*=[^=]|delete process\.env/;
  it.each(readdirSync(dir).filter((name) => name.endsWith('.ts')))('%s mocks, stubs and fakes nothing', (name) => {
    const lines = readFileSync(path.join(dir, name), 'utf8').split('\n');
    expect(lines.filter((line) => leaks.test(line))).toEqual([]);
  });
});
