/** The pure domain rules (no I/O). Import from here or from the individual modules. */
export * from './calendar.js';
export * from './decision-deadlines.js';
export * from './escalation-policy.js';
export * from './fallback-chain.js';
export * from './hazard.js';
export * from './hazard-code.js';
export * from './hazard-transitions.js';
export * from './holiday-file.js';
export * from './holidays.js';
export * from './inspection.js';
export * from './inspection-periods.js';
export * from './local-time.js';
export * from './permissions.js';
export * from './policy-schedule.js';
export * from './quiet-hours.js';
export * from './vocabulary.js';
