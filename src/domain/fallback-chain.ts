/**
 * Nobody is skipped in silence (product.md, "Reminders and escalation"): a role that resolves to nobody the bot can
 * reach — a township without its leaders, a department without a leader, a deactivated person, a person with no
 * Feishu account in the tenant — falls back up the legal chain of responsibility, and the step says whom it could
 * not reach and whom it told instead.
 *
 * Pure: the caller says who holds each role and whether the bot can reach them (an open_id, or an SMS route).
 */
import type { Recipient } from './escalation-policy.js';

/**
 * Where each role falls back to, nearest first. The unit's side goes to its other key person, then to the township
 * leader in charge (属地: asked to get the notice to the unit); the township's side goes to its main leader, then to
 * the county; the department's leader to the county. The county leaders are the top: past them there is nobody.
 */
export const FALLBACKS: Readonly<Record<Recipient, readonly Recipient[]>> = {
  responsible: [
    'enterprise_principal',
    'enterprise_safety_officer',
    'township_leader_in_charge',
    'township_main_leader',
    'county_leader',
  ],
  enterprise_principal: [
    'enterprise_safety_officer',
    'township_leader_in_charge',
    'township_main_leader',
    'county_leader',
  ],
  enterprise_safety_officer: [
    'enterprise_principal',
    'township_leader_in_charge',
    'township_main_leader',
    'county_leader',
  ],
  reporter: ['inspectors', 'township_leader_in_charge', 'township_main_leader', 'county_leader'],
  inspectors: ['township_leader_in_charge', 'township_main_leader', 'county_leader'],
  township_leader_in_charge: ['township_main_leader', 'county_leader'],
  township_main_leader: ['county_leader'],
  department_leader: ['county_leader'],
  county_safety_office: ['county_leader'],
  county_leader: [],
};

/** The unit's own side: a government person told in their place is asked to get the notice to the unit. */
const UNIT_SIDE: ReadonlySet<Recipient> = new Set(['responsible', 'enterprise_principal', 'enterprise_safety_officer']);

/** Whether `role` is the unit's own side (its fallback is asked to pass the notice on). */
export function isUnitSide(role: Recipient): boolean {
  return UNIT_SIDE.has(role);
}

/** A role of the step that could not be reached, and what was done instead. */
export interface Fallback<P> {
  role: Recipient;
  /** Its holders the bot cannot reach; empty when nobody holds the role (空缺). */
  missing: P[];
  /** The role told instead, or null when nobody up the chain could be reached either. */
  toldRole: Recipient | null;
  told: P[];
}

export interface ResolvedRecipients<P> {
  /** Everyone told, once each: by their own role, or `insteadOf` a role that could not be reached. */
  recipients: { person: P; role: Recipient; insteadOf?: Recipient }[];
  fallbacks: Fallback<P>[];
}

export interface ChainLookup<P> {
  /** Who holds the role for this hazard (active people; the hazard's responsible person even when deactivated). */
  holdersOf(role: Recipient): readonly P[];
  /** Whether the bot can reach this person (a Feishu open_id of an active person, or an SMS route). */
  isReachable(person: P): boolean;
  /** A person's identity, to tell each person once however many roles they hold. */
  keyOf(person: P): string;
}

/**
 * The people a step addressed to `who` tells: each role's reachable holders, or for a role with none, the nearest
 * role up its chain that has some. Each person once (the first role that names them).
 */
export function resolveRecipients<P>(who: readonly Recipient[], lookup: ChainLookup<P>): ResolvedRecipients<P> {
  const seen = new Set<string>();
  const recipients: ResolvedRecipients<P>['recipients'] = [];
  const fallbacks: Fallback<P>[] = [];
  const reachable = (role: Recipient) => lookup.holdersOf(role).filter((p) => lookup.isReachable(p));
  const add = (people: P[], role: Recipient, insteadOf?: Recipient) => {
    for (const person of people) {
      const key = lookup.keyOf(person);
      if (seen.has(key)) continue;
      seen.add(key);
      recipients.push(insteadOf ? { person, role, insteadOf } : { person, role });
    }
  };
  for (const role of who) {
    const holders = lookup.holdersOf(role);
    const direct = holders.filter((p) => lookup.isReachable(p));
    if (direct.length > 0) {
      add(direct, role);
      continue;
    }
    let toldRole: Recipient | null = null;
    let told: P[] = [];
    for (const next of FALLBACKS[role]) {
      const found = reachable(next);
      if (found.length > 0) {
        toldRole = next;
        told = found;
        break;
      }
    }
    if (toldRole) add(told, toldRole, role);
    fallbacks.push({ role, missing: [...holders], toldRole, told });
  }
  return { recipients, fallbacks };
}
