export * from './directory.js';
export * from './documents.js';
export * from './feishu.js';
export * from './hazard-plans.js';
export * from './hazards.js';
export * from './inspections.js';
export * from './reminders.js';
export * from './sms.js';
