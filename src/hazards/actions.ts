/**
 * Every change after the report: 确认接收, 提交整改, 申请延期, 同意/不同意延期, 验收通过 (销号; lifts suspension and
 * supervision), 驳回. One transaction each: lock the hazard, check the operator through the domain rules, store the
 * new state and the audit rows, queue the notices, update every card that shows the hazard.
 * Kept whole because every action shares that one transaction's frame (lock, check, store, notify, refresh cards);
 * split per action, the frame would be copied seven times.
 */

import {
  actorOf,
  authoritiesOver,
  findPersonByOpenId,
  localInspectors,
  type PersonRecord,
  roleAssignmentsOf,
} from '../directory/lookup.js';
import {
  applyAction,
  canDecideExtension,
  canDecideResumption,
  canDelist,
  canOrderSuspension,
  canVerify,
  type HazardAction,
  type HazardErrorCode,
  type HazardEvent,
  personActor,
} from '../domain/index.js';
import { enqueueMessage } from '../feishu/outbox.js';
import { answerTipOnHazardClosed } from '../tips/confirm.js';
import { announceClosing } from './announce.js';
import { type CardRecipient, cardByMessageId, refreshHazardCards, sendHazardCards } from './cards/delivery.js';
import type { CardAudience, HazardCardView } from './cards/hazard-card.js';
import type { CardKind } from './cards/living-card.js';
import { dueDateOf, startClock, stopClock } from './clocks.js';
import { issueDocumentsAfter } from './documents/issue.js';
import { audienceFor, type HazardServiceDeps, NOT_IN_DIRECTORY } from './report.js';
import { type HazardRecord, loadHazard, saveHazard } from './repository.js';
import { buildHazardView } from './view.js';

export type ActionOutcome =
  | {
      ok: true;
      code: string;
      view: HazardCardView;
      audience: CardAudience;
      message: string;
      /** What the clicked card was (its buttons and title are redrawn as such); undefined when unknown. */
      clickedKind?: CardKind;
    }
  | {
      ok: false;
      code: HazardErrorCode | 'not_found' | 'not_in_directory';
      message: string;
      field?: string;
      /**
       * The current state: to refresh a stale card (already_done / wrong_state), or to send a decision form back
       * with what to fix (invalid_input).
       */
      view?: HazardCardView;
      audience?: CardAudience;
      clickedKind?: CardKind;
    };

const DONE_MESSAGES: Record<HazardAction['type'], string> = {
  assign: '已指定整改责任人',
  acknowledge: '已确认接收，请按期完成整改',
  submitRectification: '整改已提交，等待检查员验收',
  requestExtension: '延期申请已提交，等待审批',
  approveExtension: '已同意延期，整改期限已更新',
  refuseExtension: '已不同意延期，原整改期限不变',
  accept: '验收通过，隐患已销号',
  reject: '已驳回，退回整改',
  escalateSupervision: '已列为督办',
  comment: '督办意见已记录，并已告知整改责任人和上报人',
  list: '已挂牌督办，已告知整改责任人；验收后由挂牌单位摘牌销号',
  delist: '已摘牌，隐患已销号',
  orderSuspension: '已责令停产停业整改，已告知单位',
  proposeSuspension: '已建议停产停业，等待行业主管部门确认',
  declineSuspension: '已不同意停产停业，已告知建议人',
  requestResumption: '复产申请已提交，等待行业主管部门到现场复产验收（10 日内）',
  acceptResumption: '复产验收通过，同意复产',
  rejectResumption: '复产验收不通过，退回整改',
};

/** The toast of a change: what was done, with the deadline a decision set. */
function doneMessage(type: HazardAction['type'], events: readonly HazardEvent[]): string {
  if (events.some((e) => e.type === 'accepted') && !events.some((e) => e.type === 'closed')) {
    return `${type === 'acceptResumption' ? '复产验收通过，同意复产' : '验收通过'}；该隐患已挂牌督办，待挂牌单位摘牌销号`;
  }
  if (type === 'acceptResumption') return '复产验收通过，同意复产，隐患已销号';
  for (const event of events) {
    if (event.type === 'rejected') {
      return `${event.resumption ? '复产验收不通过' : '已驳回'}，退回整改；新的整改期限为 ${event.deadline}`;
    }
    if (event.type === 'extension_approved' && event.requested) {
      return `已同意延期，整改期限定为 ${event.to}（未采用申请的 ${event.requested}）`;
    }
  }
  return DONE_MESSAGES[type];
}

/**
 * Applies `action` to hazard `code` as the person behind `openId`. `messageId`: the card clicked, whose own
 * audience decides the buttons of the card returned (and which is not patched again).
 */
export async function performHazardAction(
  deps: HazardServiceDeps,
  input: { openId: string; code: string; action: HazardAction; messageId?: string },
): Promise<ActionOutcome> {
  const { db, clock, calendar } = deps;
  const person = await findPersonByOpenId(db, input.openId);
  if (!person) return { ok: false, code: 'not_in_directory', message: NOT_IN_DIRECTORY };
  const actor = actorOf(person);
  return db.transaction(async (tx): Promise<ActionOutcome> => {
    const now = clock.now();
    const record = await loadHazard(tx, input.code, { forUpdate: true });
    if (!record) return { ok: false, code: 'not_found', message: `没有编号为 ${input.code} 的隐患` };
    const clicked = input.messageId ? await cardByMessageId(tx, input.messageId) : null;
    const audience =
      clicked && clicked.hazardId === record.row.id ? clicked.audience : audienceFor(actor, record.hazard);
    const result = applyAction(record.hazard, input.action, actor, now, calendar);
    if (!result.ok) {
      const { code, message, field } = result.error;
      if (code === 'forbidden') return { ok: false, code, message, field };
      const view = await buildHazardView(tx, record, now, calendar, deps.links);
      return {
        ok: false,
        code,
        message,
        ...(field ? { field } : {}),
        view,
        audience,
        ...(clicked ? { clickedKind: clicked.kind } : {}),
      };
    }
    const next = result.hazard;
    const ids = new Map<string, number>([[person.code, person.id]]);
    for (const p of record.people.values()) ids.set(p.code, p.id);
    for (const p of [record.unit.principal, record.unit.safetyOfficer]) if (p) ids.set(p.code, p.id);
    const idOf = (code: string | null) => (code === null ? null : (ids.get(code) ?? null));
    const row = await saveHazard(tx, {
      id: record.row.id,
      hazard: next,
      events: result.events,
      idOf,
      now,
      ...(input.action.type === 'submitRectification' ? { rectification: input.action.description.trim() } : {}),
    });

    // A closed hazard's clocks (治理方案, …) stop with it. 申请复产 starts the department's 10-day 复产验收 clock;
    // its decision, either way, stops it (a new application after a failed one starts a new clock).
    if (next.status === 'closed') await stopClock(tx, { hazardId: record.row.id, at: now, reason: 'closed' });
    else if (input.action.type === 'requestResumption') {
      const due = dueDateOf('resumption', now, deps.policy, calendar);
      await startClock(tx, { hazardId: record.row.id, kind: 'resumption', at: now, due });
    } else if (input.action.type === 'acceptResumption' || input.action.type === 'rejectResumption') {
      const reason = input.action.type === 'acceptResumption' ? 'accepted' : 'rejected';
      await stopClock(tx, { hazardId: record.row.id, kind: 'resumption', at: now, reason });
    }

    // The hazard after the change, without reading it back: the row as updated, the domain state the action
    // produced, and everyone it can now name (those it named before, the unit's officers, and the actor).
    const people = new Map(record.people);
    for (const p of [record.unit.principal, record.unit.safetyOfficer, person]) if (p) people.set(p.id, p);
    const updated: HazardRecord = { row, hazard: next, unit: record.unit, people };
    const view = await buildHazardView(tx, updated, now, calendar, deps.links);
    const ref = { id: record.row.id, code: record.row.code };
    await refreshHazardCards(tx, ref, view, now, input.messageId);
    await notifyAfter(tx, deps, {
      action: input.action,
      events: result.events,
      updated,
      view,
      actorCode: person.code,
      actorName: person.name,
      now,
    });
    await issueDocumentsAfter(tx, {
      action: input.action,
      events: result.events,
      updated,
      actorName: person.name,
      calendar,
      settings: deps.documents ?? {},
      now,
    });
    if (row.status === 'closed' && record.row.status !== 'closed') {
      // A hazard a tip found: the tipster hears that it is fixed (the tracking page shows the answer).
      if (record.row.source === 'public_tip') {
        await answerTipOnHazardClosed(tx, {
          hazardId: record.row.id,
          hazardCode: record.row.code,
          actorId: person.id,
          calendar,
          now,
        });
      }
      await announceClosing(tx, deps.announce, {
        code: record.row.code,
        description: record.row.description,
        enterpriseId: record.row.enterpriseId,
        closedOn: calendar.localDate(now),
      });
    }
    return {
      ok: true,
      code: record.row.code,
      view,
      audience,
      message: doneMessage(input.action.type, result.events),
      ...(clicked ? { clickedKind: clicked.kind } : {}),
    };
  });
}

/** Who must hear of the change beyond the cards already showing the hazard. */
async function notifyAfter(
  tx: HazardServiceDeps['db'],
  deps: HazardServiceDeps,
  input: {
    action: HazardAction;
    events: readonly HazardEvent[];
    updated: NonNullable<Awaited<ReturnType<typeof loadHazard>>>;
    view: HazardCardView;
    actorCode: string;
    actorName: string;
    now: Date;
  },
): Promise<void> {
  const { action, events, updated, view, actorCode, actorName, now } = input;
  const ref = { id: updated.row.id, code: updated.row.code };
  const reporter = updated.people.get(updated.row.reporterId) ?? null;
  const responsible = updated.row.responsibleId ? (updated.people.get(updated.row.responsibleId) ?? null) : null;

  /** The reporting inspector if allowed to decide, otherwise the township's and department's inspectors. */
  const deciders = async (allowed: (actor: ReturnType<typeof personActor>) => boolean): Promise<PersonRecord[]> => {
    if (reporter && reporter.code !== actorCode) {
      const actor = personActor(reporter.code, await roleAssignmentsOf(tx, reporter.id));
      if (allowed(actor)) return [reporter];
    }
    const local = await localInspectors(tx, updated.unit);
    const out: PersonRecord[] = [];
    for (const p of local) {
      if (p.code === actorCode) continue;
      const actor = personActor(p.code, await roleAssignmentsOf(tx, p.id));
      if (allowed(actor)) out.push(p);
    }
    return out;
  };
  const cardsTo = (people: PersonRecord[], r: Omit<CardRecipient, 'openId'>) =>
    sendHazardCards(
      tx,
      ref,
      view,
      people.filter((p) => p.openId).map((p) => ({ openId: p.openId!, ...r })),
      now,
    );
  const textTo = async (p: PersonRecord | null, text: string) => {
    if (!p?.openId || p.code === actorCode) return;
    await enqueueMessage(tx, {
      to: { openId: p.openId },
      msgType: 'text',
      content: { text },
      topic: `hazard:${ref.code}:text`,
    });
  };

  /** The county's or the department's deciders (治) allowed to take the decision a card of `kind` asks for. */
  const authorityCards = async (
    over: 'listing' | 'enforcement',
    allowed: (actor: ReturnType<typeof personActor>) => boolean,
    kind: CardKind,
  ) => {
    const deciders = [];
    for (const p of await authoritiesOver(tx, updated.unit, over)) {
      if (p.code === actorCode) continue;
      if (allowed(personActor(p.code, await roleAssignmentsOf(tx, p.id)))) deciders.push(p);
    }
    // The department's inspectors keep an inspector's card (驳回 stays theirs); leaders and 安委办 get the authority's.
    await cardsTo(
      deciders.filter((p) => p.inspects),
      { audience: 'department', kind },
    );
    await cardsTo(
      deciders.filter((p) => !p.inspects),
      { audience: 'authority', kind },
    );
  };
  const toDelist = async () => {
    const listing = updated.hazard.listing;
    if (updated.hazard.status !== 'pending_delisting' || !listing) return;
    await authorityCards('listing', (a) => canDelist(a, updated.hazard, listing.authority).allowed, 'delisting');
  };
  const proposer = (): PersonRecord | null => {
    for (const e of events) {
      const by = e.type === 'suspended' || e.type === 'suspension_declined' ? e.proposedBy : undefined;
      if (by) return [...updated.people.values()].find((p) => p.code === by) ?? null;
    }
    return null;
  };

  switch (action.type) {
    case 'submitRectification':
      await cardsTo(await deciders((a) => canVerify(a, updated.hazard).allowed), {
        audience: 'verifier',
        kind: 'verify',
      });
      break;
    case 'requestExtension':
      await cardsTo(await deciders((a) => canDecideExtension(a, updated.hazard, actorCode).allowed), {
        audience: 'verifier',
        kind: 'extension',
      });
      break;
    case 'reject':
      if (responsible?.openId && responsible.code !== actorCode) {
        await cardsTo([responsible], { audience: 'rectifier', kind: 'rejected' });
      }
      break;
    case 'approveExtension': {
      const approved = events.find((e) => e.type === 'extension_approved');
      const requested = approved?.type === 'extension_approved' ? approved.requested : undefined;
      await textTo(
        responsible,
        requested
          ? `${ref.code}：延期申请已同意。申请的 ${requested} ${requested < deps.calendar.localDate(now) ? '审批时已过' : '不晚于当前期限'}，审批人另定整改期限为 ${updated.row.deadline}。`
          : `${ref.code}：延期申请已同意，新的整改期限为 ${updated.row.deadline}。`,
      );
      break;
    }
    case 'refuseExtension':
      await textTo(
        responsible,
        `${ref.code}：延期申请未获同意${action.reason?.trim() ? `（${action.reason.trim()}）` : ''}，请按原期限 ${updated.row.deadline} 完成整改。`,
      );
      break;
    case 'accept':
      await textTo(
        responsible,
        updated.hazard.status === 'pending_delisting'
          ? `${ref.code}：整改已验收通过，待挂牌单位摘牌后销号。`
          : `${ref.code}：整改已验收通过，隐患已销号。`,
      );
      await toDelist();
      break;
    case 'list':
      await textTo(
        responsible,
        `${ref.code}：该重大事故隐患已由${view.listing?.authorityLabel ?? '县安委办'}挂牌督办。请按治理方案和期限 ${updated.row.deadline} 完成治理，验收合格后由挂牌单位摘牌销号。`,
      );
      if (reporter?.code !== responsible?.code)
        await textTo(reporter, `${ref.code}：已由${view.listing?.authorityLabel ?? '县安委办'}挂牌督办。`);
      break;
    case 'delist':
      await textTo(responsible, `${ref.code}：已摘牌，隐患销号。`);
      if (reporter?.code !== responsible?.code) await textTo(reporter, `${ref.code}：已摘牌，隐患销号。`);
      break;
    case 'orderSuspension': {
      const text = `${ref.code}：${updated.unit.department?.name ?? '行业主管部门'}责令停产停业整改${action.reason?.trim() ? `（${action.reason.trim()}）` : ''}。整改完成并「提交整改」后，请「申请复产」，经主管部门现场复产验收合格方可恢复生产。`;
      await textTo(responsible, text);
      const principal = updated.unit.principal;
      if (principal && principal.code !== responsible?.code) await textTo(principal, text);
      await textTo(proposer(), `${ref.code}：您的停产停业建议已由主管部门确认，已责令停产停业整改。`);
      break;
    }
    case 'proposeSuspension':
      await authorityCards('enforcement', (a) => canOrderSuspension(a, updated.hazard).allowed, 'suspension');
      break;
    case 'declineSuspension':
      await textTo(
        proposer(),
        `${ref.code}：主管部门不同意停产停业${action.reason?.trim() ? `（${action.reason.trim()}）` : ''}，整改照常进行。`,
      );
      break;
    case 'requestResumption':
      await authorityCards('enforcement', (a) => canDecideResumption(a, updated.hazard).allowed, 'resumption');
      break;
    case 'acceptResumption':
      await textTo(
        responsible,
        updated.hazard.status === 'pending_delisting'
          ? `${ref.code}：复产验收通过，同意恢复生产；待挂牌单位摘牌后销号。`
          : `${ref.code}：复产验收通过，同意恢复生产，隐患已销号。`,
      );
      await toDelist();
      break;
    case 'rejectResumption':
      if (responsible?.openId && responsible.code !== actorCode) {
        await cardsTo([responsible], { audience: 'rectifier', kind: 'rejected' });
      }
      break;
    case 'comment': {
      // Whoever acts on the hazard hears the remark: the responsible person, and the inspector who follows it.
      const remark = `${ref.code}：${actorName}的督办意见——${action.text.trim()}`;
      await textTo(responsible, remark);
      if (reporter?.code !== responsible?.code) await textTo(reporter, remark);
      break;
    }
    default:
      break;
  }
}
