/**
 * The reminder and escalation policy as data (product.md "Reminders and escalation"): its file format, checked with
 * every problem named, and the default policy. When its steps fall due is policy-schedule.ts.
 *
 * A step names who is told (roles, resolved through the directory by the sweep), when (relative to the report,
 * the assignment, the deadline or the submitted rectification), on which channel (card < mention < urgent < urgent_sms / urgent_phone; each includes the ones before),
 * for which grades, with which side effects, and whether it may go out in quiet hours (major-only steps).
 *
 * Kept whole because the default policy is written in the file format it checks: the schema and the default steps
 * change together whenever an anchor, a recipient or a channel is added.
 */
import { z } from 'zod';
import { CLOCK_ANCHORS, clockKindOfAnchor, HAZARD_CLOCK_KIND_NAMES } from './hazard-clocks.js';
import { isLocalTime } from './local-time.js';
import { tipClockSchema } from './tip-clock.js';
import { HAZARD_GRADES, hazardGradeSchema } from './vocabulary.js';

/** zod's own messages (an unknown recipient, a missing field) in Chinese too, for the policy file. */
const ZOD_IN_CHINESE = z.locales.zhCN().localeError;

/** Whom a step tells. The sweep resolves each through the hazard and the directory. */
export const RECIPIENTS = [
  /** 整改责任人 named on the hazard. */
  'responsible',
  /** The inspector who reported it. */
  'reporter',
  /** Inspectors of the unit's township (region scope) and of its supervising department. */
  'inspectors',
  'enterprise_principal',
  'enterprise_safety_officer',
  /** 乡镇分管领导 of the unit's township (直接责任). */
  'township_leader_in_charge',
  /** 乡镇主要领导 of the unit's township (第一责任人). */
  'township_main_leader',
  /** 行业主管部门负责人 of the supervising department (监管责任). */
  'department_leader',
  /** 县领导 (county scope). */
  'county_leader',
  /** 县安委办 (county_safety_office): the county's authority for listed major hazards (挂牌督办). */
  'county_safety_office',
] as const;
export type Recipient = (typeof RECIPIENTS)[number];

/**
 * card < mention (card + @ in the township's group) < urgent (card + 加急 in the app) < urgent_sms / urgent_phone
 * (urgent + Feishu's SMS or phone 加急, within the daily budget URGENT_*_DAILY_BUDGET; past it, in-app only). The
 * last two spend the tenant's quota: the default policy uses neither.
 */
export const CHANNELS = ['card', 'mention', 'urgent', 'urgent_sms', 'urgent_phone'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Does the channel buzz (加急) at all, and beyond the app by SMS or phone? */
export function urgencyOf(channel: Channel): { urgent: boolean; beyondApp: 'sms' | 'phone' | null } {
  if (channel === 'urgent_sms') return { urgent: true, beyondApp: 'sms' };
  if (channel === 'urgent_phone') return { urgent: true, beyondApp: 'phone' };
  return { urgent: channel === 'urgent', beyondApp: null };
}

// ---------------------------------------------------------------------------------------------------------------
// Schema

const hhmm = z
  .string({ error: (issue) => (issue.input === undefined ? '必须填写（时刻 HH:MM，如 09:00）' : undefined) })
  .refine(isLocalTime, { message: '应为时刻 HH:MM，如 09:00' });
const wholeDays = z.number().int('应为整数天').min(0, '应为 0 或更多天').max(366);
const positiveHours = z
  .number()
  .positive('应大于 0 小时')
  .max(24 * 366);

const whenOnReported = z.strictObject({ on: z.literal('reported') });
const whenAfterEvent = z.strictObject({
  after: z.enum(['reported', 'assigned'], {
    message: '应为 "reported"、"assigned"、"deadline" 或 "rectified"（提交整改）',
  }),
  hours: positiveHours,
  unless: z.literal('acknowledged', { message: '只能是 "acknowledged"（已确认接收）' }).optional(),
});
const whenBeforeDeadline = z.strictObject({ before: z.literal('deadline'), days: wholeDays, at: hhmm });
const whenAfterDeadline = z.strictObject({ after: z.literal('deadline'), days: wholeDays, at: hhmm.optional() });
/**
 * The 复查 clock: days after the latest submitted rectification while it waits for verification. `counting` says
 * how its days count when it must not follow DEADLINE_DAY_COUNTING: the verifier's time is the government's, in
 * working days, while units' deadlines may be counted in calendar days.
 */
const whenAfterRectified = z.strictObject({
  after: z.literal('rectified'),
  days: wholeDays,
  at: hhmm.optional(),
  counting: z
    .enum(['working', 'calendar'], { message: '只能是 "working"（法定工作日）或 "calendar"（自然日）' })
    .optional(),
});

/**
 * A hazard clock's due date (domain/hazard-clocks.ts: `plan_due`, …): before it at `at`, or `days` after it, while
 * the clock runs; `counting` as for the 复查 clock.
 */
const dayCountingField = z
  .enum(['working', 'calendar'], { message: '只能是 "working"（法定工作日）或 "calendar"（自然日）' })
  .optional();
const clockAnchor = z.enum(CLOCK_ANCHORS, { message: `应为 ${CLOCK_ANCHORS.map((a) => `"${a}"`).join('、')}` });
const whenBeforeClock = z.strictObject({ before: clockAnchor, days: wholeDays, at: hhmm, counting: dayCountingField });
const whenAfterClock = z.strictObject({
  after: clockAnchor,
  days: wholeDays,
  at: hhmm.optional(),
  counting: dayCountingField,
});

export type StepWhen =
  | z.output<typeof whenOnReported>
  | z.output<typeof whenAfterEvent>
  | z.output<typeof whenBeforeDeadline>
  | z.output<typeof whenAfterDeadline>
  | z.output<typeof whenAfterRectified>
  | z.output<typeof whenBeforeClock>
  | z.output<typeof whenAfterClock>;

/**
 * `when` is one of:
 * - `{on: 'reported'}` — as soon as the hazard is reported;
 * - `{after: 'reported' | 'assigned', hours, unless?: 'acknowledged'}` — elapsed hours after the event;
 * - `{before: 'deadline', days, at: 'HH:MM'}` — at local time `at`, `days` days before the deadline date;
 * - `{after: 'deadline', days, at?}` — `days` days overdue: the end of day (deadline + days), or, with `at`, that
 *   local time on the following morning.
 * - `{after: 'rectified', days, at?, counting?}` — the same, from the local date of the latest submitted
 *   rectification, while it waits for verification (the 复查 clock).
 * - `{before: '<kind>_due', days, at, counting?}` / `{after: '<kind>_due', days, at?, counting?}` — the same against
 *   the due date of a running hazard clock (domain/hazard-clocks.ts: `plan_due` is the major hazard's 治理方案).
 * Days count as the calendar's `dayCounting` says (calendar or working days), or as the step's `counting` says.
 * The variant is chosen by its anchor key so that errors speak about that variant, not a union.
 */
const whenSchema = z.unknown().transform((value, ctx): StepWhen => {
  const pick = (): z.ZodType<StepWhen> | string => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return '应为对象';
    const when = value as Record<string, unknown>;
    if ('on' in when) return whenOnReported;
    if ('before' in when) return clockKindOfAnchor(when['before']) ? whenBeforeClock : whenBeforeDeadline;
    if (clockKindOfAnchor(when['after'])) return whenAfterClock;
    if (when['after'] === 'deadline') return whenAfterDeadline;
    if (when['after'] === 'rectified') return whenAfterRectified;
    if ('after' in when) return whenAfterEvent;
    return '应写明锚点：{"on": "reported"}、{"after": "assigned"|"reported", "hours": n}、{"before": "deadline", "days": n, "at": "HH:MM"}、{"after": "deadline", "days": n}、{"after": "rectified", "days": n} 或 {"after": "plan_due", "days": n}';
  };
  const schema = pick();
  if (typeof schema === 'string') {
    ctx.addIssue({ code: 'custom', message: schema });
    return z.NEVER;
  }
  const parsed = schema.safeParse(value, { error: ZOD_IN_CHINESE });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message });
    return z.NEVER;
  }
  return parsed.data;
});

const effectSchema = z.strictObject({
  type: z.literal('raise_supervision'),
  level: z.enum(['township', 'county']),
});
/** A side effect the sweep applies with the step (through the hazard state machine, as the system). */
export type StepEffect = z.output<typeof effectSchema>;

const stepSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, '应为 1–64 个字符：小写字母、数字、"-" 或 "_"'),
  /** A short Chinese label for logs and the admin sweep answer. */
  label: z.string().max(100).optional(),
  who: z.array(z.enum(RECIPIENTS)).min(1, '至少写一个接收人'),
  when: whenSchema,
  channel: z.enum(CHANNELS),
  grades: z
    .array(hazardGradeSchema)
    .min(1, '至少写一个隐患等级')
    .default([...HAZARD_GRADES]),
  effects: z.array(effectSchema).default([]),
  /** May go out in quiet hours. Only for steps limited to major hazards. */
  breaksQuietHours: z.boolean().default(false),
});
export type PolicyStep = z.output<typeof stepSchema>;

const digestSchema = z.strictObject({
  /** Local time of the daily digest. */
  at: hhmm.default('08:30'),
  who: z
    .array(z.enum(['township_leader_in_charge', 'township_main_leader', 'department_leader', 'county_leader']))
    .default(['township_leader_in_charge', 'township_main_leader', 'department_leader', 'county_leader']),
  /** Yellow: due within this many days. */
  dueSoonDays: wholeDays.default(3),
});

/** How long each hazard clock runs (domain/hazard-clocks.ts gives the defaults): `{"plan": {"days": 5}}`. */
const clocksSchema = z.partialRecord(
  z.enum(HAZARD_CLOCK_KIND_NAMES),
  z.strictObject({ days: wholeDays.min(1, '应为 1 天或更多'), counting: dayCountingField }),
);

export const escalationPolicySchema = z.strictObject({
  version: z.literal(1, { message: '应为 1' }),
  steps: z.array(stepSchema).min(1, '至少列出一个步骤'),
  digest: digestSchema.prefault({}),
  clocks: clocksSchema.default({}),
  /** The tips' answer clock (domain/tip-clock.ts): its days and steps; the defaults when left out. */
  tips: tipClockSchema.prefault({}),
});

/**
 * The rules across steps (ids unique; only major-only steps break quiet hours), checked on the file as written so
 * that they are reported together with every field's own problems, not only once the fields are right.
 */
function crossStepProblems(value: unknown): PolicyError[] {
  const steps = (value as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return [];
  const problems: PolicyError[] = [];
  const seen = new Set<string>();
  steps.forEach((step: unknown, index) => {
    if (typeof step !== 'object' || step === null) return;
    const { id, breaksQuietHours, grades } = step as Record<string, unknown>;
    if (typeof id === 'string') {
      if (seen.has(id)) problems.push({ path: `steps[${index}].id`, reason: `步骤 id "${id}" 重复` });
      seen.add(id);
    }
    const majorOnly = Array.isArray(grades) && grades.length > 0 && grades.every((grade) => grade === 'major');
    if (breaksQuietHours === true && !majorOnly) {
      problems.push({
        path: `steps[${index}].breaksQuietHours`,
        reason: '只有限于重大隐患的步骤（"grades": ["major"]）才能在免打扰时段发送',
      });
    }
  });
  return problems;
}

export type EscalationPolicy = z.output<typeof escalationPolicySchema>;
export type DigestSettings = EscalationPolicy['digest'];

export interface PolicyError {
  /** Where in the file, e.g. `steps[2].when.days`; empty for the whole file. */
  path: string;
  reason: string;
}

export type PolicyParseResult = { ok: true; policy: EscalationPolicy } | { ok: false; errors: PolicyError[] };

/** Validates a policy: JSON text or an already-parsed value. Lists every problem with its path. */
export function parsePolicy(input: unknown): PolicyParseResult {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      return { ok: false, errors: [{ path: '', reason: `不是合法的 JSON：${(error as Error).message}` }] };
    }
  }
  const parsed = escalationPolicySchema.safeParse(value, { error: ZOD_IN_CHINESE });
  const errors = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => ({ path: formatPath(i.path), reason: i.message }))),
    ...crossStepProblems(value),
  ];
  if (parsed.success && errors.length === 0) return { ok: true, policy: parsed.data };
  return { ok: false, errors: errors.sort(byPlaceInFile) };
}

/** Problems in the order of the file: `steps[2]…` before `steps[10]…` (a stable sort keeps a place's own order). */
function byPlaceInFile(a: PolicyError, b: PolicyError): number {
  const parts = (path: string) => path.split(/[.[\]]+/).filter(Boolean);
  const [x, y] = [parts(a.path), parts(b.path)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    const [m, n] = [Number(x[i]), Number(y[i])];
    return Number.isInteger(m) && Number.isInteger(n) ? m - n : 0;
  }
  return 0;
}

/** Throws an Error listing every problem, for start-up ("a broken file stops the start with a clear message"). */
export function parsePolicyOrThrow(input: unknown, source = 'escalation policy'): EscalationPolicy {
  const result = parsePolicy(input);
  if (result.ok) return result.policy;
  const lines = result.errors.map((e) => `  - ${e.path || '（整个文件）'}：${e.reason}`);
  throw new Error(`${source} 有问题（is invalid）：\n${lines.join('\n')}`);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

// ---------------------------------------------------------------------------------------------------------------
// The default policy: product.md's table, step by step.

/** The default policy as it would be written in a policy file. */
export const DEFAULT_POLICY_JSON = {
  version: 1,
  steps: [
    {
      id: 'unacknowledged-24h',
      label: '指派 24 小时未确认接收',
      who: ['responsible'],
      when: { after: 'assigned', hours: 24, unless: 'acknowledged' },
      channel: 'card',
    },
    {
      id: 'due-in-3d',
      label: '距整改期限 3 天',
      who: ['responsible'],
      when: { before: 'deadline', days: 3, at: '09:00' },
      channel: 'card',
    },
    {
      id: 'due-in-1d',
      label: '距整改期限 1 天',
      who: ['responsible'],
      when: { before: 'deadline', days: 1, at: '09:00' },
      channel: 'card',
    },
    {
      id: 'overdue-0d',
      label: '已超期',
      who: ['responsible', 'township_leader_in_charge'],
      when: { after: 'deadline', days: 0 },
      channel: 'mention',
    },
    {
      id: 'overdue-3d',
      label: '超期 3 天',
      who: ['responsible', 'township_leader_in_charge', 'township_main_leader', 'department_leader'],
      when: { after: 'deadline', days: 3 },
      channel: 'urgent',
    },
    {
      id: 'overdue-7d',
      label: '超期 7 天，县级督办',
      who: ['responsible', 'township_leader_in_charge', 'township_main_leader', 'department_leader', 'county_leader'],
      when: { after: 'deadline', days: 7 },
      channel: 'urgent',
      effects: [{ type: 'raise_supervision', level: 'county' }],
    },
    {
      id: 'major-reported',
      label: '重大隐患报告',
      who: ['county_leader', 'department_leader', 'township_main_leader'],
      when: { on: 'reported' },
      channel: 'urgent',
      grades: ['major'],
      breaksQuietHours: true,
    },
    {
      id: 'major-overdue',
      label: '重大隐患超期',
      who: ['county_leader'],
      when: { after: 'deadline', days: 0 },
      channel: 'urgent',
      grades: ['major'],
      breaksQuietHours: true,
    },
    // The 复查 clock (product.md): a submitted rectification is verified within 5 working days. The reporting
    // inspector is the usual verifier; `inspectors` would reach every inspector whose scope covers the unit (the
    // county's too) for every hazard, so it is left to the fallback chain for a reporter who cannot be reached.
    {
      id: 'verify-reminder',
      label: '复查提醒',
      who: ['reporter'],
      when: { after: 'rectified', days: 3, counting: 'working' },
      channel: 'card',
    },
    {
      id: 'verify-overdue',
      label: '复查超时',
      who: ['township_leader_in_charge', 'department_leader'],
      when: { after: 'rectified', days: 5, counting: 'working' },
      channel: 'mention',
    },
    // The major hazard's 治理方案 clock (domain/hazard-clocks.ts `plan`): due 5 working days after registration,
    // stopped when the supervising department accepts the plan (a return does not stop it).
    {
      id: 'plan-due-in-1d',
      label: '治理方案提交期限前 1 个工作日',
      who: ['responsible'],
      when: { before: 'plan_due', days: 1, at: '09:00', counting: 'working' },
      channel: 'card',
      grades: ['major'],
    },
    {
      id: 'plan-overdue-0d',
      label: '治理方案逾期未通过',
      who: ['responsible', 'department_leader', 'township_leader_in_charge'],
      when: { after: 'plan_due', days: 0, counting: 'working' },
      channel: 'mention',
      grades: ['major'],
    },
    {
      id: 'plan-overdue-3d',
      label: '治理方案逾期 3 个工作日',
      who: ['responsible', 'department_leader', 'township_leader_in_charge', 'county_leader'],
      when: { after: 'plan_due', days: 3, counting: 'working' },
      channel: 'urgent',
      grades: ['major'],
    },
    // The 复产验收 clock (`resumption`, 第十八条): the department verifies on site within 10 days of the unit's
    // application to resume; its leader is reminded, then the county leader is told, like a deadline.
    {
      id: 'resumption-due-in-3d',
      label: '复产验收期限前 3 天',
      who: ['department_leader'],
      when: { before: 'resumption_due', days: 3, at: '09:00', counting: 'calendar' },
      channel: 'card',
      grades: ['major'],
    },
    {
      id: 'resumption-overdue-0d',
      label: '复产验收逾期',
      who: ['department_leader', 'township_main_leader'],
      when: { after: 'resumption_due', days: 0, counting: 'calendar' },
      channel: 'mention',
      grades: ['major'],
    },
    {
      id: 'resumption-overdue-3d',
      label: '复产验收逾期 3 天',
      who: ['department_leader', 'township_main_leader', 'county_leader'],
      when: { after: 'resumption_due', days: 3, counting: 'calendar' },
      channel: 'urgent',
      grades: ['major'],
    },
  ],
  digest: {
    at: '08:30',
    who: ['township_leader_in_charge', 'township_main_leader', 'department_leader', 'county_leader'],
    dueSoonDays: 3,
  },
} as const;

export const DEFAULT_POLICY: EscalationPolicy = parsePolicyOrThrow(DEFAULT_POLICY_JSON, 'default escalation policy');
