import { describe, expect, it } from 'vitest';
import { parsePeriod } from '../../src/domain/statutory-period.js';
import { cardActionValueSchema, parseCardActionValue } from '../../src/feishu/card-actions.js';
import { buildHazardCard } from '../../src/hazards/cards/hazard-card.js';
import { buildPlanFormCard, buildPlanReviewCard } from '../../src/hazards/cards/plan-cards.js';
import {
  buildEnterprisePickCard,
  buildPhotoOfferCard,
  buildReportFormCard,
} from '../../src/hazards/cards/report-form.js';
import { FIELD_LIMITS, SECTORS } from '../../src/hazards/report-input.js';
import { buildChecklistCard } from '../../src/inspections/cards/checklist-card.js';
import {
  buildChecklistPickCard,
  buildInspectionFormCard,
  buildInspectionUnitPickCard,
} from '../../src/inspections/cards/inspection-form.js';
import { buildListCard } from '../../src/ledger/cards/ledger-list.js';
import { buildStatisticsDutyCard } from '../../src/ledger/cards/statistics-duty-card.js';
import { buildDigestCard, buildReminderCard } from '../../src/reminders/cards.js';
import { buildTipCard, type TipCardView } from '../../src/tips/cards.js';
import { extensionView, hazardCardView } from '../support/hazard-card-view.js';

// biome-ignore lint/suspicious/noExplicitAny: cards are walked as JSON.
type Json = any;

/** Every callback value on a card, and every named field of its forms. */
function callbacks(card: unknown): { values: unknown[]; fields: string[] } {
  const values: unknown[] = [];
  const fields: string[] = [];
  const walk = (node: Json) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    for (const b of node.behaviors ?? []) if (b.type === 'callback') values.push(b.value);
    if (typeof node.name === 'string' && node.tag !== 'button' && node.tag !== 'form') fields.push(node.name);
    for (const child of Object.values(node)) walk(child);
  };
  walk(card);
  return { values, fields };
}

const hazard = hazardCardView;

const tipView = (status: TipCardView['status']): TipCardView => ({
  code: 'JB-2026-000001',
  status,
  statusLabel: status,
  what: '油桶堵住消防通道',
  place: '3 号仓库',
  regionName: '城关镇',
  unitName: null,
  tipster: '匿名',
  receivedAt: '2026-03-01 09:00',
  photos: [],
  acceptedBy: null,
  decidedBy: null,
  decision: null,
  hazardCode: null,
  answer: null,
  reward: null,
});

const listingView = { authorityLabel: '县安委办', byName: '安委办主任', at: '2026-03-01 09:00' };

describe('the schema of card actions', () => {
  it('parses every value the card builders emit, and names every form field they carry', () => {
    const cards = [
      buildHazardCard(hazard({}), { audience: 'rectifier' }),
      buildHazardCard(hazard({ status: 'pending_verification' }), { audience: 'verifier' }),
      buildHazardCard(hazard({ extension: extensionView({ reason: '等' }) }), {
        audience: 'verifier',
      }),
      buildHazardCard(hazard({ extension: extensionView({ needsNewDate: '申请延期至 2026-03-20，该日期已过' }) }), {
        audience: 'verifier',
      }),
      buildHazardCard(hazard({}), { audience: 'viewer' }),
      // 治: the county's authority lists a major hazard and, once accepted, delists it; the department decides an
      // inspector's proposal to suspend and the unit's application to resume, which the unit makes on its card.
      buildHazardCard(hazard({ grade: 'major' }), { audience: 'authority' }),
      buildHazardCard(hazard({ grade: 'major', status: 'pending_delisting', listing: listingView }), {
        audience: 'authority',
      }),
      buildHazardCard(hazard({ grade: 'major', suspensionProposal: { byName: '检查员', at: '2026-03-01 09:00' } }), {
        audience: 'authority',
      }),
      buildHazardCard(hazard({ grade: 'major', status: 'pending_verification', suspended: true }), {
        audience: 'rectifier',
      }),
      buildHazardCard(
        hazard({
          grade: 'major',
          status: 'pending_verification',
          suspended: true,
          resumptionRequest: { byName: '老板', at: '2026-03-02 10:00' },
        }),
        { audience: 'department' },
      ),
      buildReportFormCard({
        draft: 7,
        values: {},
        sectors: SECTORS,
        defaultDeadline: '2026-03-09',
        photoCount: 0,
        limits: FIELD_LIMITS,
      }),
      buildEnterprisePickCard({
        draft: 7,
        typed: '机械',
        candidates: [{ code: 'e1', name: '机械一厂', regionName: '城关镇' }],
        townships: [{ code: 't1', name: '城关镇' }],
      }),
      buildPhotoOfferCard({ draft: 7, photoCount: 2 }),
      buildPlanFormCard({
        code: 'YH-2026-000001',
        unitName: '某化工',
        description: '描述',
        due: '2026-03-12',
        dueNote: '退回修改不停止计时',
        values: { situation: '现状' },
        errors: { goals: '请填写' },
      }),
      buildPlanReviewCard({
        code: 'YH-2026-000001',
        unitName: '某化工',
        version: 2,
        parts: {
          situation: '1',
          severity: '2',
          goals: '3',
          methods: '4',
          funding: '5',
          organisation: '6',
          timeline: '7',
          safety: '8',
        },
        submittedBy: '老板',
        submittedAt: '2026-03-05 10:00',
        due: '2026-03-12',
      }),
      buildInspectionFormCard({
        values: {},
        kinds: ['routine', 'campaign'],
        checklists: [{ code: 'wh-01', name: '危化品重大隐患', sector: '危险化学品' }],
        companions: [{ openId: 'ou_2', name: '检查员二' }],
        today: '2026-03-05',
      }),
      buildInspectionUnitPickCard({
        typed: '化工',
        candidates: [{ code: 'e1', name: '某化工', regionName: '城关镇' }],
        townships: [{ code: 't1', name: '城关镇' }],
        choices: { kind: 'routine', companions: ['ou_2'], date: '2026-03-05' },
      }),
      buildChecklistPickCard({
        unit: { code: 'e1', name: '某化工' },
        checklists: [{ code: 'wh-01', name: '危化品重大隐患', sector: '危险化学品' }],
        choices: { kind: 'routine', companions: [], date: '2026-03-05' },
      }),
      ...[0, 99].map((page) =>
        buildChecklistCard({
          inspectionId: 3,
          unitName: '某化工',
          kind: 'routine',
          date: '2026-03-05',
          checklist: { name: '危化品重大隐患', sector: '危险化学品' },
          inspectors: ['检查员'],
          items: Array.from({ length: 60 }, (_, i) => ({
            code: String(i + 1),
            text: '危险化学品生产、经营单位主要负责人和安全生产管理人员未依法经考核合格。'.repeat(4),
            basis: '安监总管三〔2017〕121号 第一条',
            major: i % 3 === 0,
            result: 'pending',
          })),
          findings: '',
          page,
          photoCount: 0,
        }),
      ),
      buildListCard({
        title: '我的',
        subtitle: '全县',
        items: [
          {
            code: 'YH-2026-000001',
            enterpriseName: '某化工',
            townshipName: '城关镇',
            description: '描述',
            deadline: '2026-03-10',
            statusLabel: '整改中',
            light: 'red',
            major: false,
          },
        ],
        page: 1,
        next: { action: 'ledger_page', filter: 'open', cursor: 'c', page: 2 },
        emptyText: '无',
      }),
      buildReminderCard({
        hazardCode: 'YH-2026-000001',
        enterpriseName: '某化工',
        description: '描述',
        deadline: '2026-03-10',
        gradeLabel: '一般隐患',
        overdueDays: 2,
        daysLeft: null,
        stepLabel: '超期 2 天',
        channel: 'card',
        raisesSupervision: false,
        responsibleName: '老板',
        notified: ['老板'],
      }),
      buildDigestCard(
        {
          day: '2026-03-05',
          leaderName: '县长',
          scopeName: '全县',
          counts: { new: 1, dueSoon: 1, overdue: 1, onTrack: 0, closed: 0, open: 2 },
          overdue: [{ code: 'YH-2026-000001', enterpriseName: '某化工', deadline: '2026-03-01', days: 4 }],
          dueSoon: [{ code: 'YH-2026-000002', enterpriseName: '某机械', deadline: '2026-03-07', days: 2 }],
          dueSoonDays: 3,
        },
        'region:town-01',
      ),
      buildStatisticsDutyCard({
        unitName: '某化工',
        unitCode: 'e001',
        principalName: '老板',
        period: parsePeriod('2026Q3')!,
        figures: {
          general: { found: 1, rectified: 0 },
          major: { found: 0, rectified: 0, supervised: 0 },
          openAtEnd: 1,
          majors: [],
        },
        mode: 'ask',
      }),
    ];
    // 群众举报: 受理 / 不予受理 and its form while received; 属实 / 不属实 and its note once accepted; the reward.
    cards.push(
      buildTipCard(tipView('received')),
      buildTipCard(tipView('received'), { form: 'decline' }),
      buildTipCard(tipView('accepted')),
      buildTipCard(tipView('accepted'), { form: 'unfounded' }),
      // 举报奖励 once proved true: the button, then its form.
      buildTipCard(tipView('confirmed')),
      buildTipCard(tipView('confirmed'), { form: 'reward' }),
    );
    const actions = new Set<string>();
    const fields = new Set<string>();
    for (const card of cards) {
      const found = callbacks(card);
      for (const value of found.values) {
        const parsed = parseCardActionValue(value);
        expect(parsed, JSON.stringify(value)).not.toBeNull();
        actions.add(parsed!.action);
      }
      for (const field of found.fields) fields.add(field);
    }
    const every = cardActionValueSchema.options.map((o) => o.shape.action.value);
    expect([...actions].sort()).toEqual([...every].sort());
    expect([...fields]).toEqual(
      expect.arrayContaining(['enterprise', 'sector', 'level', 'description', 'location', 'measures', 'standard']),
    );
    expect([...fields]).toEqual(
      expect.arrayContaining(['deadline', 'suspend', 'basis', 'rectification', 'new_deadline', 'reject_reason']),
    );
    expect([...fields]).toEqual(
      expect.arrayContaining(['extension_reason', 'decision_reason', 'approved_deadline', 'comment', 'township']),
    );
    expect([...fields]).toEqual(
      expect.arrayContaining(['kind', 'checklist', 'companions', 'date', 'findings', 'item_1', 'item_60']),
    );
    // The 治理方案 form's parts (the PDF renders the same names) and the department's 退回 reason.
    expect([...fields]).toEqual(
      expect.arrayContaining([
        'situation',
        'severity',
        'goals',
        'methods',
        'funding',
        'organisation',
        'timeline',
        'safety',
        'reason',
      ]),
    );
    expect([...fields]).toEqual(expect.arrayContaining(['decline_reason', 'duplicate_of', 'forwarded_to', 'note']));
  });

  it('refuses what it does not know: a misspelt action, a missing or mistyped field, an unknown list', () => {
    expect(parseCardActionValue({ action: 'hazard.accept', code: 'YH-2026-000001' })).toEqual({
      action: 'hazard.accept',
      code: 'YH-2026-000001',
    });
    expect(parseCardActionValue({ action: 'hazard.acept', code: 'YH-2026-000001' })).toBeNull();
    expect(parseCardActionValue({ action: 'hazard.accept' })).toBeNull();
    expect(parseCardActionValue({ action: 'report.submit', draft: '7' })).toBeNull();
    expect(parseCardActionValue({ action: 'report.submit', draft: 1.5 })).toBeNull();
    expect(parseCardActionValue({ action: 'list', filter: 'all' })).toBeNull();
    expect(parseCardActionValue({ action: 'ledger_page', filter: 'open', cursor: 'c', page: 0 })).toBeNull();
    expect(parseCardActionValue(null)).toBeNull();
    expect(parseCardActionValue('hazard.accept')).toBeNull();
  });
});
