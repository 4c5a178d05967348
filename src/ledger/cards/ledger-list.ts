/** The `我的` list card (and the digest's list buttons): open hazards, colour-coded, paged with 下一页. JSON 2.0. */
import type { TrafficLight } from '../../domain/hazard.js';
import type { CardActionValueOf } from '../../feishu/card-actions.js';
import { tappableHazard } from '../../hazards/cards/hazard-link.js';

export interface ListCardItem {
  code: string;
  enterpriseName: string;
  townshipName: string;
  description: string;
  deadline: string;
  statusLabel: string;
  light: TrafficLight;
  major: boolean;
}

export interface ListCardInput {
  title: string;
  /** e.g. "城关镇 · 共 23 条" */
  subtitle: string;
  items: ListCardItem[];
  /** 1-based page number shown to the reader. */
  page: number;
  /** The callback value of 下一页, or null on the last page. */
  next: CardActionValueOf<'ledger_page'> | null;
  emptyText: string;
}

const DOT: Record<TrafficLight, string> = { red: '🔴', yellow: '🟡', green: '🟢' };

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Escapes what Feishu markdown would read as markup in user-supplied text. */
function plain(text: string): string {
  return text.replace(/[<>*_~`[\]#]/g, (c) => `\\${c}`);
}

export function buildListCard(input: ListCardInput): object {
  const elements: object[] = [];
  if (input.items.length === 0) {
    elements.push({ tag: 'markdown', content: input.emptyText });
  } else {
    // Each item is one tap target that sends the reader its living card.
    for (const i of input.items) {
      elements.push(
        tappableHazard(
          i.code,
          `${DOT[i.light]} **${i.code}** ${plain(clip(i.enterpriseName, 24))}（${plain(i.townshipName)}）` +
            `${i.major ? ' **重大**' : ''}\n　${plain(clip(i.description, 40))}\n　期限 ${i.deadline} · ${i.statusLabel}`,
        ),
      );
    }
    elements.push({
      tag: 'markdown',
      content: `🔴 超期　🟡 3 天内到期　🟢 正常　｜　第 ${input.page} 页。点一条隐患看详情。`,
      text_size: 'notation',
    });
  }
  if (input.next) {
    elements.push({
      tag: 'button',
      text: { tag: 'plain_text', content: '下一页' },
      type: 'primary',
      behaviors: [{ type: 'callback', value: input.next }],
    });
  }
  const red = input.items.some((i) => i.light === 'red');
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: `${input.title}：${input.subtitle}` } },
    header: {
      title: { tag: 'plain_text', content: input.title },
      subtitle: { tag: 'plain_text', content: input.subtitle },
      template: red ? 'red' : 'blue',
    },
    body: { elements },
  };
}
