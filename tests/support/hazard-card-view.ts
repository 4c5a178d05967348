/** A hazard as its cards show it, with plain values; override what a test is about. */
import type { HazardCardView } from '../../src/hazards/cards/hazard-card.js';

export const hazardCardView = (overrides: Partial<HazardCardView> = {}): HazardCardView => ({
  code: 'YH-2026-000001',
  status: 'rectifying',
  statusLabel: '整改中',
  grade: 'general',
  flags: '一般隐患',
  light: 'green',
  overdue: false,
  enterprise: { name: '某化工', verified: true },
  regionName: '城关镇',
  departmentName: '应急局',
  sector: '危险化学品',
  description: '描述',
  location: '位置',
  measures: '措施',
  standard: '标准',
  deadline: '2026-03-10',
  suspensionProposal: null,
  resumptionRequest: null,
  listing: null,
  basis: null,
  suspended: false,
  supervisionLabel: null,
  reporterName: '检查员',
  responsibleName: '老板',
  acknowledged: false,
  rectification: null,
  extension: null,
  rejectionDays: null,
  governancePlan: null,
  reportedAt: '2026-03-02 10:00',
  latestStep: null,
  trail: [],
  photos: [],
  detailUrl: null,
  ...overrides,
});

/** A pending extension request as its cards show it (the date asked still ahead); override what a test is about. */
export const extensionView = (
  overrides: Partial<NonNullable<HazardCardView['extension']>> = {},
): NonNullable<HazardCardView['extension']> => ({
  byName: '老板',
  newDeadline: '2026-03-20',
  reason: '等设备',
  requestedAt: '2026-03-05 09:30',
  needsNewDate: null,
  suggestedDeadline: '2026-03-21',
  daysAsked: '15 天',
  ...overrides,
});
