/**
 * Whether the bot can reach a person: the one answer the reminders' fallbacks, the report's notices and the
 * directory's gaps share, so that what the gaps report is exactly what makes a fallback happen.
 */
export interface Reachable {
  openId: string | null;
  /** False for a deactivated person; people read as active may leave it out. */
  active?: boolean;
}

/** An active person with a Feishu open_id in the tenant. */
export function canReach(person: Reachable): boolean {
  return person.active !== false && person.openId !== null && person.openId !== '';
}

/** Why the bot cannot reach this person, in the words of a card or a toast. */
export function whyUnreachable(person: Reachable): string {
  return person.active === false ? '已停用' : '尚未加入飞书';
}
