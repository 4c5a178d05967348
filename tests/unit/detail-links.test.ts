/** 查看详情: every card that shows a hazard links to its web page, a digest to the overview; none without a web view. */
import { describe, expect, it } from 'vitest';
import { validateCard } from '../../src/dev/feishu-sim/index.js';
import { cardLinksOf, hazardPageUrl, openUrlButton, overviewUrl } from '../../src/hazards/cards/detail-link.js';
import {
  buildHazardCard,
  byteLength,
  CARD_BYTE_BUDGET,
  type CardAudience,
} from '../../src/hazards/cards/hazard-card.js';
import { CARD_TITLES, type CardKind, renderHazardCard } from '../../src/hazards/cards/living-card.js';
import {
  buildDigestCard,
  buildReminderCard,
  buildReminderListCard,
  type DigestCardInput,
  type ReminderCardInput,
} from '../../src/reminders/cards.js';
import { extensionView, hazardCardView } from '../support/hazard-card-view.js';

// biome-ignore lint/suspicious/noExplicitAny: cards are read as JSON, as Feishu reads them.
type Json = any;

const PUBLIC_URL = 'https://yh.example.gov.cn';
const links = cardLinksOf({ publicUrl: PUBLIC_URL });
const PAGE = `${PUBLIC_URL}/web/hazards/YH-2026-000001`;

/** Every component of the card, depth first (columns, containers and forms included). */
function components(card: Json): Json[] {
  const out: Json[] = [];
  const walk = (list: Json[] | undefined) => {
    for (const element of list ?? []) {
      out.push(element);
      walk(element.elements);
      walk(element.columns);
    }
  };
  walk(card.body.elements);
  return out;
}

const buttonsNamed = (card: Json, text: string) =>
  components(card).filter((e) => e.tag === 'button' && e.text?.content === text);
const openUrls = (card: Json) =>
  components(card).flatMap((e) => (e.behaviors ?? []).filter((b: Json) => b.type === 'open_url'));

/** The one 查看详情 button of `card`, opening `url` on every client (`compact`: by the fallback alone). */
function expectDetailButton(card: Json, url: string, compact = false) {
  const [button, ...more] = buttonsNamed(card, '查看详情');
  expect(more).toEqual([]);
  expect(button.behaviors).toEqual([
    compact
      ? { type: 'open_url', default_url: url }
      : { type: 'open_url', default_url: url, pc_url: url, ios_url: url, android_url: url },
  ]);
  expect(validateCard(card)).toBeNull();
}

describe('detail-link', () => {
  it('builds the pages’ addresses under PUBLIC_URL, and nothing without it', () => {
    expect(cardLinksOf({ publicUrl: 'https://yh.example.gov.cn/' })).toEqual({ publicUrl: PUBLIC_URL });
    expect(cardLinksOf(undefined)).toBeUndefined();
    expect(hazardPageUrl(links, 'YH-2026-000001')).toBe(PAGE);
    expect(overviewUrl(links)).toBe(`${PUBLIC_URL}/web/`);
    expect(hazardPageUrl(undefined, 'YH-2026-000001')).toBeUndefined();
    expect(overviewUrl(undefined)).toBeUndefined();
  });
});

describe('the hazard card', () => {
  const audiences: CardAudience[] = ['rectifier', 'verifier', 'department', 'authority', 'viewer'];
  const kinds = Object.keys(CARD_TITLES) as CardKind[];
  const states = [
    hazardCardView(),
    hazardCardView({ status: 'pending_verification', statusLabel: '待验收', grade: 'major' }),
    hazardCardView({ extension: extensionView() }),
    hazardCardView({ status: 'closed', statusLabel: '已销号' }),
  ];

  it('has 查看详情 opening the hazard’s page for every audience, kind and state', () => {
    for (const state of states) {
      for (const audience of audiences) {
        for (const kind of kinds) {
          expectDetailButton(renderHazardCard({ ...state, detailUrl: PAGE }, audience, kind), PAGE);
        }
      }
    }
  });

  it('has no link at all without a web view', () => {
    for (const state of states) {
      for (const audience of audiences) {
        for (const kind of kinds) {
          const card = renderHazardCard(state, audience, kind);
          expect(buttonsNamed(card, '查看详情')).toEqual([]);
          expect(openUrls(card)).toEqual([]);
          expect(validateCard(card)).toBeNull();
        }
      }
    }
  });

  it('points a long trail to the page, and keeps the link when the longest card is trimmed to its budget', () => {
    const long = '很长的文字'.repeat(400);
    const trail = Array.from({ length: 300 }, (_, i) => ({ at: '03-02 10:00', who: `人员${i}`, text: long }));
    const photos = Array.from({ length: 20 }, (_, i) => ({ stage: 'report' as const, imageKey: `img_${i}` }));
    const huge = hazardCardView({
      description: long,
      measures: long,
      standard: long,
      location: long,
      rectification: long,
      basis: long,
      extension: extensionView({ reason: long }),
      trail,
      photos,
      detailUrl: PAGE,
    });
    for (const audience of audiences) {
      const card = buildHazardCard(huge, { audience, trailLimit: 50, photoLimit: 6 });
      expect(byteLength(card)).toBeLessThanOrEqual(CARD_BYTE_BUDGET);
      expectDetailButton(card, PAGE);
    }
    const shortTrail = hazardCardView({ trail: trail.slice(0, 8).map((e) => ({ ...e, text: '备注' })) });
    expect(JSON.stringify(renderHazardCard({ ...shortTrail, detailUrl: PAGE }, 'viewer', 'info'))).toContain(
      '共 8 条；点「查看详情」看全部',
    );
    expect(JSON.stringify(renderHazardCard(shortTrail, 'viewer', 'info'))).toContain(
      '共 8 条；发送「查询 YH-2026-000001」看全部',
    );
  });
});

const reminder = (overrides: Partial<ReminderCardInput> = {}): ReminderCardInput => ({
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
  ...overrides,
});

describe('the reminder cards', () => {
  it('a reminder: 查看详情 opens the page and 隐患卡片 still sends the living card', () => {
    const card: Json = buildReminderCard(reminder({ detailUrl: PAGE }));
    // Only the fallback URL: a sweep sends these by the hundred thousand, and each platform falls back to it.
    expectDetailButton(card, PAGE, true);
    const [living] = buttonsNamed(card, '隐患卡片');
    expect(living.behaviors).toEqual([{ type: 'callback', value: { action: 'hazard.show', code: 'YH-2026-000001' } }]);
  });

  it('a reminder without a web view: 查看详情 sends the living card, as before', () => {
    const card: Json = buildReminderCard(reminder());
    const [button] = buttonsNamed(card, '查看详情');
    expect(button.behaviors).toEqual([{ type: 'callback', value: { action: 'hazard.show', code: 'YH-2026-000001' } }]);
    expect(buttonsNamed(card, '隐患卡片')).toEqual([]);
    expect(openUrls(card)).toEqual([]);
    expect(validateCard(card)).toBeNull();
  });

  it('a list: each hazard links to its own page beside the tap that sends its card; none without a web view', () => {
    const codes = ['YH-2026-000001', 'YH-2026-000002', 'YH-2026-000003'];
    const items = codes.map((hazardCode) =>
      reminder({ hazardCode, detailUrl: `${PUBLIC_URL}/web/hazards/${hazardCode}` }),
    );
    const card: Json = buildReminderListCard({ items });
    expect(validateCard(card)).toBeNull();
    const listed = components(card).filter((e) => e.tag === 'interactive_container');
    expect(listed).toHaveLength(3);
    for (const [i, item] of listed.entries()) {
      expect(item.behaviors).toEqual([{ type: 'callback', value: { action: 'hazard.show', code: codes[i] } }]);
      expect(item.elements[0].content).toContain(`[查看详情](${PUBLIC_URL}/web/hazards/${codes[i]})`);
    }
    const without: Json = buildReminderListCard({ items: codes.map((hazardCode) => reminder({ hazardCode })) });
    expect(JSON.stringify(without)).not.toContain('查看详情');
    expect(JSON.stringify(without)).not.toContain('http');
  });

  it('the digest: 查看详情 opens the overview; none without a web view', () => {
    const digest: DigestCardInput = {
      day: '2026-03-05',
      leaderName: '县长',
      scopeName: '全县',
      counts: { new: 1, dueSoon: 1, overdue: 1, onTrack: 0, closed: 0, open: 2 },
      overdue: [{ code: 'YH-2026-000001', enterpriseName: '某化工', deadline: '2026-03-01', days: 4 }],
      dueSoon: [{ code: 'YH-2026-000002', enterpriseName: '某机械', deadline: '2026-03-07', days: 2 }],
      dueSoonDays: 3,
    };
    expectDetailButton(
      buildDigestCard({ ...digest, overviewUrl: `${PUBLIC_URL}/web/` }, 'county'),
      `${PUBLIC_URL}/web/`,
    );
    const without = buildDigestCard(digest, 'county');
    expect(buttonsNamed(without, '查看详情')).toEqual([]);
    expect(openUrls(without)).toEqual([]);
    expect(validateCard(without)).toBeNull();
  });
});

describe('the simulator’s card check of open_url', () => {
  const card = (button: object) => ({ schema: '2.0', body: { elements: [button] } });
  const withBehavior = (behavior: object) => ({
    tag: 'button',
    text: { tag: 'plain_text', content: '查看详情' },
    behaviors: [behavior],
  });

  it('accepts an absolute http(s) default_url, per-platform URLs, and a platform switched off', () => {
    expect(validateCard(card(openUrlButton(PAGE)))).toBeNull();
    expect(validateCard(card(openUrlButton('http://127.0.0.1:3000/web/')))).toBeNull();
    expect(
      validateCard(
        card(withBehavior({ type: 'open_url', default_url: PAGE, pc_url: 'lark://msgcard/unsupported_action' })),
      ),
    ).toBeNull();
    // An interactive container may open a link too.
    expect(
      validateCard(
        card({
          tag: 'interactive_container',
          behaviors: [{ type: 'open_url', default_url: PAGE }],
          elements: [{ tag: 'markdown', content: 'x' }],
        }),
      ),
    ).toBeNull();
  });

  it('refuses a link Feishu would refuse', () => {
    const refused: [object, RegExp][] = [
      [{ type: 'open_url' }, /default_url must be an absolute http\(s\) URL/],
      [{ type: 'open_url', default_url: '/web/hazards/YH-2026-000001' }, /default_url must be an absolute/],
      [{ type: 'open_url', default_url: 'javascript:alert(1)' }, /default_url must be an absolute/],
      [{ type: 'open_url', default_url: 'ftp://example.com/x' }, /default_url must be an absolute/],
      [{ type: 'open_url', default_url: PAGE, ios_url: 'web/hazards' }, /ios_url must be an absolute/],
      [{ type: 'open_url', url: PAGE }, /"url" is a card JSON 1\.0 field/],
      [{ type: 'open_url', default_url: PAGE, multi_url: {} }, /"multi_url" is a card JSON 1\.0 field/],
      [{ type: 'navigate', default_url: PAGE }, /unknown behavior type "navigate"/],
      [{ type: 'callback' }, /a callback needs a value/],
    ];
    for (const [behavior, message] of refused) {
      expect(validateCard(card(withBehavior(behavior)))).toMatch(message);
    }
    expect(validateCard(card({ ...withBehavior({}), behaviors: { type: 'open_url' } }))).toMatch(
      /behaviors must be an array/,
    );
  });
});
