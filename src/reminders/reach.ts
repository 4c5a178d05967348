/**
 * Whether the bot can reach a person, and how: the one answer the reminders' fallbacks, the report's notices and the
 * directory's gaps share, so that what the gaps report is exactly what makes a fallback happen.
 */
import { normalizeMobile } from '../sms/render.js';

export interface Reachable {
  openId: string | null;
  /** False for a deactivated person; people read as active may leave it out. */
  active?: boolean;
  /** The directory's mobile: with an SMS gateway configured, a person outside Feishu is reached by SMS. */
  mobile?: string | null;
}

export interface ReachOptions {
  /** An SMS gateway is configured (SMS_PROVIDER). */
  sms: boolean;
}

const NO_SMS: ReachOptions = { sms: false };

/** The mobile an SMS would go to: an active person without Feishu, with a valid mobile, when SMS are on. */
export function smsMobileOf(person: Reachable, options: ReachOptions = NO_SMS): string | null {
  if (!options.sms || person.active === false || person.openId || !person.mobile) return null;
  const mobile = normalizeMobile(person.mobile);
  return mobile.ok ? mobile.phone : null;
}

/** An active person with a Feishu open_id in the tenant, or, with SMS on, a valid mobile. */
export function canReach(person: Reachable, options: ReachOptions = NO_SMS): boolean {
  if (person.active === false) return false;
  return Boolean(person.openId) || smsMobileOf(person, options) !== null;
}

/** Why the bot cannot reach this person, in the words of a card or a toast. */
export function whyUnreachable(person: Reachable, options: ReachOptions = NO_SMS): string {
  if (person.active === false) return '已停用';
  return options.sms ? '尚未加入飞书且名录中没有可用的手机号' : '尚未加入飞书';
}
