import { describe, expect, it } from 'vitest';
import { validateCard } from '../../src/dev/feishu-sim/index.js';
import { createCalendar } from '../../src/domain/calendar.js';
import { buildHazardCard, byteLength, type HazardCardView } from '../../src/hazards/cards/hazard-card.js';
import { renderHazardCard } from '../../src/hazards/cards/living-card.js';
import { buildEnterprisePickCard, buildReportFormCard } from '../../src/hazards/cards/report-form.js';
import { checkReportForm, FIELD_LIMITS, SECTORS } from '../../src/hazards/report-input.js';
import { extensionView, hazardCardView } from '../support/hazard-card-view.js';

const calendar = createCalendar();
const now = new Date('2026-03-02T02:00:00Z');

const view = hazardCardView;

const buttons = (card: object) =>
  (JSON.stringify(card).match(/"tag":"button","text":\{"tag":"plain_text","content":"([^"]+)"/g) ?? []).map(
    (m) => /content":"([^"]+)"/.exec(m)![1],
  );

describe('hazard card', () => {
  it('shows the buttons of the viewer’s part, for the state the hazard is in', () => {
    expect(buttons(buildHazardCard(view(), { audience: 'rectifier' }))).toEqual(['确认接收', '提交整改', '申请延期']);
    expect(buttons(buildHazardCard(view(), { audience: 'verifier' }))).toEqual([]);
    const pending = view({ status: 'pending_verification', statusLabel: '待验收' });
    expect(buttons(buildHazardCard(pending, { audience: 'verifier' }))).toEqual(['验收通过', '驳回']);
    expect(buttons(buildHazardCard(pending, { audience: 'rectifier' }))).toEqual([]);
    const extension = view({ extension: extensionView() });
    expect(buttons(buildHazardCard(extension, { audience: 'verifier' }))).toEqual(['同意延期', '不同意延期']);
    expect(buttons(buildHazardCard(extension, { audience: 'rectifier' }))).toEqual(['确认接收', '提交整改']);
    expect(buttons(buildHazardCard(view({ status: 'closed' }), { audience: 'rectifier' }))).toEqual([]);
    // Leaders (viewers) remark on an open hazard: 督办意见.
    const leaders = buildHazardCard(view(), { audience: 'viewer' });
    expect(buttons(leaders)).toEqual(['发表意见']);
    expect(validateCard(leaders)).toBeNull();
    expect(buttons(buildHazardCard(view({ status: 'closed' }), { audience: 'viewer' }))).toEqual([]);
  });

  it('stays valid JSON 2.0 under 30 KB with the longest texts, a long trail and photos', () => {
    const long = '很长的文字'.repeat(400);
    const card = buildHazardCard(
      view({
        description: long,
        measures: long,
        standard: long,
        location: long,
        rectification: long,
        basis: long,
        extension: extensionView({ reason: long }),
        governancePlan: {
          measures: long,
          responsibility: '老板',
          funds: long,
          deadline: '2026-03-10',
          contingency: long,
        },
        trail: Array.from({ length: 300 }, (_, i) => ({ at: '03-02 10:00', who: `人员${i}`, text: long })),
        photos: Array.from({ length: 20 }, (_, i) => ({ stage: 'report' as const, imageKey: `img_${i}` })),
      }),
      { audience: 'verifier', trailLimit: 50, photoLimit: 6 },
    );
    expect(byteLength(card)).toBeLessThanOrEqual(30 * 1024);
    expect(validateCard(card)).toBeNull();
    expect((card as { config: { update_multi: boolean } }).config.update_multi).toBe(true);
  });
});

describe('the decision forms ask for the deadline a decision sets', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the card is read as JSON, as Feishu would show it.
  type Json = any;
  const elements = (card: Json): Json[] => {
    const out: Json[] = [];
    const walk = (list: Json[] = []) => {
      for (const e of list) {
        out.push(e);
        walk(e.elements);
      }
    };
    walk(card.body.elements);
    return out;
  };
  const formOf = (card: Json, name: string) => elements(card).find((e) => e.tag === 'form' && e.name === name);
  const text = (card: Json) => JSON.stringify(card);

  it('驳回: a date picker `deadline` beside the reason, empty, saying what an empty one means', () => {
    const pending = view({ status: 'pending_verification', statusLabel: '待验收', rejectionDays: '2 天' });
    const card = buildHazardCard(pending, { audience: 'verifier' });
    expect(validateCard(card)).toBeNull();
    const form = formOf(card, 'reject_form');
    expect(form.elements.map((e: Json) => e.name ?? e.tag)).toEqual([
      'reject_reason',
      'markdown',
      'deadline',
      'reject',
    ]);
    const picker = form.elements.find((e: Json) => e.name === 'deadline');
    expect(picker).toMatchObject({ tag: 'date_picker', required: false });
    // No date fixed when the card was drawn: the default counts from the day of the rejection, whenever that is.
    expect(picker.initial_date).toBeUndefined();
    expect(text(form)).toContain('不选则为驳回之日起 2 天（提交整改时剩余的期限）');
  });

  it('驳回 refused: what was typed comes back, with the problem beside the date', () => {
    const pending = view({ status: 'pending_verification', statusLabel: '待验收', rejectionDays: '2 天' });
    const card = buildHazardCard(pending, {
      audience: 'verifier',
      echo: {
        form: 'reject',
        values: { reject_reason: '接地电阻仍超标', deadline: '2026-03-01' },
        error: { field: 'deadline', message: '整改期限不能早于今天（2026-03-02）' },
      },
    });
    expect(validateCard(card)).toBeNull();
    const form = formOf(card, 'reject_form');
    const names = form.elements.map((e: Json) => e.name ?? e.tag);
    expect(names.slice(names.indexOf('deadline'))).toEqual(['deadline', 'markdown', 'reject']);
    expect(form.elements.find((e: Json) => e.name === 'reject_reason').default_value).toBe('接地电阻仍超标');
    expect(form.elements.find((e: Json) => e.name === 'deadline').initial_date).toBe('2026-03-01');
    expect(text(form.elements[names.indexOf('deadline') + 1])).toContain('整改期限不能早于今天（2026-03-02）');
  });

  it('延期申请: says when it was asked; a date picker only once the date asked has passed', () => {
    const pending = buildHazardCard(view({ extension: extensionView() }), { audience: 'verifier' });
    expect(text(pending)).toContain('**申请时间**：2026-03-05 09:30');
    expect(elements(pending).some((e) => e.tag === 'date_picker')).toBe(false);

    const passed = view({
      extension: extensionView({
        needsNewDate: '申请延期至 2026-03-20，该日期已过',
        suggestedDeadline: '2026-04-06',
        daysAsked: '15 天',
      }),
    });
    const card = buildHazardCard(passed, { audience: 'verifier' });
    expect(validateCard(card)).toBeNull();
    const form = formOf(card, 'extension_decision');
    expect(form.elements.find((e: Json) => e.name === 'approved_deadline')).toMatchObject({
      tag: 'date_picker',
      initial_date: '2026-04-06',
    });
    expect(text(form)).toContain('申请延期至 2026-03-20，该日期已过：同意延期须另定整改期限，默认自今天起 15 天');
    expect(buttons(card)).toEqual(['同意延期', '不同意延期']);
    // A refused pick comes back as picked, with the problem beside it.
    const refused = buildHazardCard(passed, {
      audience: 'verifier',
      echo: {
        form: 'extension_decision',
        values: { decision_reason: '同意', approved_deadline: '2026-03-01' },
        error: { field: 'approved_deadline', message: '整改期限不能早于今天（2026-03-02）' },
      },
    });
    const again = formOf(refused, 'extension_decision');
    expect(again.elements.find((e: Json) => e.name === 'approved_deadline').initial_date).toBe('2026-03-01');
    expect(again.elements.find((e: Json) => e.name === 'decision_reason').default_value).toBe('同意');
    expect(text(again)).toContain('整改期限不能早于今天（2026-03-02）');
  });
});

describe('a hazard card after a decision says what happened', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the card is read as JSON, as Feishu would show it.
  const title = (card: any): string => card.header.title.content;
  const at = '03-05 09:30';
  const extension = extensionView();

  it('asks for what it was sent for while that stands', () => {
    const submitted = view({
      status: 'pending_verification',
      statusLabel: '待验收',
      latestStep: { type: 'rectification_submitted', who: '老板', at },
    });
    expect(title(renderHazardCard(submitted, 'verifier', 'verify'))).toBe('整改已提交，请验收｜YH-2026-000001');
    expect(title(renderHazardCard(view({ extension }), 'verifier', 'extension'))).toBe(
      '延期申请待审批｜YH-2026-000001',
    );
    expect(title(renderHazardCard(view(), 'rectifier', 'notice'))).toBe('整改通知｜YH-2026-000001');
    const rejected = view({ latestStep: { type: 'rejected', who: '检查员', at, reason: '仍超标' } });
    expect(title(renderHazardCard(rejected, 'rectifier', 'rejected'))).toBe('整改被驳回｜YH-2026-000001');
  });

  it('验收通过: the verifier’s card no longer says 请验收', () => {
    const closed = view({
      status: 'closed',
      statusLabel: '已销号',
      latestStep: { type: 'accepted', who: '检查员', at },
    });
    const card = renderHazardCard(closed, 'verifier', 'verify');
    expect(title(card)).toBe('已验收通过，隐患已销号｜YH-2026-000001');
    expect(JSON.stringify(card)).not.toContain('请验收');
    expect(JSON.stringify(card)).toContain('最新进展：已验收通过，隐患已销号（检查员，03-05 09:30）');
    expect(buttons(card)).toEqual([]);
    // The rectifier's notice and the reporter's card say the same.
    expect(title(renderHazardCard(closed, 'rectifier', 'notice'))).toBe('已验收通过，隐患已销号｜YH-2026-000001');
    expect(title(renderHazardCard(closed, 'viewer', 'report'))).toBe('已验收通过，隐患已销号｜YH-2026-000001');
  });

  it('驳回, 同意延期, 不同意延期, 确认接收, 提交整改: each in the title, with who and when below', () => {
    const cases: [Partial<HazardCardView>, Parameters<typeof renderHazardCard>[2], string][] = [
      [
        { latestStep: { type: 'rejected', who: '检查员', at, reason: '接地电阻仍超标' } },
        'verify',
        '已驳回：接地电阻仍超标，退回整改',
      ],
      [
        { latestStep: { type: 'rejected', who: '检查员', at, reason: '接地电阻仍超标', deadline: '2026-03-12' } },
        'verify',
        '已驳回：接地电阻仍超标，退回整改，期限 2026-03-12',
      ],
      [
        {
          deadline: '2026-04-06',
          latestStep: {
            type: 'extension_approved',
            who: '检查员',
            at,
            newDeadline: '2026-04-06',
            requested: '2026-03-20',
          },
        },
        'extension',
        '已同意延期至 2026-04-06（申请至 2026-03-20，审批时另定）',
      ],
      [
        {
          deadline: '2026-03-20',
          latestStep: { type: 'extension_approved', who: '检查员', at, newDeadline: '2026-03-20' },
        },
        'extension',
        '已同意延期至 2026-03-20',
      ],
      [
        { latestStep: { type: 'extension_refused', who: '检查员', at, reason: '理由不充分' } },
        'extension',
        '不同意延期：理由不充分，整改期限仍为 2026-03-10',
      ],
      [
        { latestStep: { type: 'extension_refused', who: '检查员', at, reason: null } },
        'extension',
        '不同意延期，整改期限仍为 2026-03-10',
      ],
      [{ acknowledged: true, latestStep: { type: 'acknowledged', who: '老板', at } }, 'notice', '已确认接收，正在整改'],
      [
        { status: 'pending_verification', latestStep: { type: 'rectification_submitted', who: '老板', at } },
        'notice',
        '整改已提交，等待验收',
      ],
      [
        { extension, latestStep: { type: 'extension_requested', who: '老板', at, newDeadline: '2026-03-20' } },
        'notice',
        '已申请延期至 2026-03-20，等待审批',
      ],
    ];
    for (const [overrides, kind, outcome] of cases) {
      const card = renderHazardCard(view(overrides), 'verifier', kind);
      expect(title(card)).toBe(`${outcome}｜YH-2026-000001`);
      const who = overrides.latestStep!.who;
      expect(JSON.stringify(card)).toContain(`最新进展：${outcome}（${who}，${at}）`);
      expect(validateCard(card)).toBeNull();
    }
  });

  it('a long reason is shortened in the title; the 查询 card keeps its title and shows the latest step', () => {
    const reason = '驳'.repeat(300);
    const card = renderHazardCard(
      view({ latestStep: { type: 'rejected', who: '检查员', at, reason } }),
      'verifier',
      'verify',
    );
    expect(title(card)).toBe(`已驳回：${'驳'.repeat(40)}…，退回整改｜YH-2026-000001`);
    const query = renderHazardCard(view({ latestStep: { type: 'acknowledged', who: '老板', at } }), 'viewer', 'query');
    expect(title(query)).toBe('隐患详情｜YH-2026-000001');
    expect(JSON.stringify(query)).toContain('最新进展：已确认接收，正在整改（老板，03-05 09:30）');
  });
});

describe('report form', () => {
  const valid = {
    enterprise: '某化工',
    sector: '工贸',
    level: 'general',
    description: 'd',
    location: 'l',
    measures: 'm',
    standard: 's',
    deadline: '2026-03-05 +0800',
  };

  it('is one valid form with the interface field names and a 提交 button', () => {
    const card = buildReportFormCard({
      draft: 1,
      values: {},
      sectors: SECTORS,
      defaultDeadline: '2026-03-09',
      photoCount: 0,
      limits: FIELD_LIMITS,
    });
    expect(validateCard(card)).toBeNull();
    const text = JSON.stringify(card);
    expect(text.match(/"tag":"form"/g)).toHaveLength(1);
    for (const name of ['enterprise', 'sector', 'level', 'description', 'location', 'measures', 'standard']) {
      expect(text).toContain(`"name":"${name}"`);
    }
    expect(text).toContain('"tag":"date_picker","name":"deadline"');
    expect(text).toContain('"name":"responsible"');
    expect(text).toContain('"name":"suspend"');
    expect(text).toContain('"name":"basis"');
    expect(text).toContain('"content":"提交"');
  });

  it('accepts a complete form, defaulting the deadline by grade', () => {
    const result = checkReportForm({ ...valid, deadline: '' }, now, calendar);
    expect(result.ok && result.report.deadline).toBe('2026-03-09');
    const major = checkReportForm({ ...valid, level: 'major', deadline: '', suspend: 'yes' }, now, calendar);
    expect(major.ok && [major.report.deadline, major.report.suspended]).toEqual(['2026-04-01', true]);
    // 定责任人: the principal unless the safety officer is chosen.
    expect(result.ok && result.report.responsible).toBe('principal');
    const officer = checkReportForm({ ...valid, responsible: 'safety_officer' }, now, calendar);
    expect(officer.ok && officer.report.responsible).toBe('safety_officer');
    for (const wrong of ['mayor', 'toString']) {
      const bad = checkReportForm({ ...valid, responsible: wrong }, now, calendar);
      expect(!bad.ok && bad.errors.responsible).toBe('整改责任人请选择单位主要负责人或单位安全管理员');
    }
  });

  it('reports every problem beside its field', () => {
    const result = checkReportForm(
      { enterprise: '', sector: '农业', level: 'huge', description: 'x'.repeat(2001), deadline: '2026-03-01' },
      now,
      calendar,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toMatchObject({
      enterprise: '请填写单位名称',
      sector: expect.stringContaining('行业请从列表中选择'),
      level: '隐患等级请选择一般隐患或重大隐患',
      description: '隐患描述最多 2000 个字，当前 2001 个字',
      location: '请填写隐患位置',
      deadline: expect.stringContaining('不能早于今天'),
    });
    const tooFar = checkReportForm({ ...valid, deadline: '2030-01-01' }, now, calendar);
    expect(!tooFar.ok && tooFar.errors.deadline).toContain('不能晚于');
    const withErrors = buildReportFormCard({
      draft: 1,
      values: { description: '保留的描述' },
      errors: { location: '请填写隐患位置' },
      sectors: SECTORS,
      defaultDeadline: '2026-03-09',
      photoCount: 0,
      limits: FIELD_LIMITS,
    });
    expect(validateCard(withErrors)).toBeNull();
    expect(JSON.stringify(withErrors)).toContain('请填写隐患位置');
    expect(JSON.stringify(withErrors)).toContain('"default_value":"保留的描述"');
  });

  it('pick card is valid with candidates and the new-unit form', () => {
    const card = buildEnterprisePickCard({
      draft: 3,
      typed: '机械',
      candidates: [
        { code: 'e1', name: '机械一厂', regionName: '城关镇' },
        { code: 'e2', name: '机械二厂', regionName: '城关镇' },
      ],
      townships: [{ code: 't1', name: '城关镇' }],
    });
    expect(validateCard(card)).toBeNull();
    expect(JSON.stringify(card)).toContain('"action":"report.pick","draft":3,"enterprise":"e2"');
  });
});
