import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The service's Prometheus metrics, one registry per app so that tests can build many apps in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.035, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    inboundEvents: new Counter({
      name: 'feishu_inbound_events_total',
      help: 'Feishu events and callbacks received, by type and outcome (accepted, ignored, duplicate, rejected, not_stored)',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    inboundFlushRows: new Histogram({
      name: 'feishu_inbound_flush_rows',
      help: 'Events stored per INSERT by the ack path (group commit: several per flush under load)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 200],
      registers: [registry],
    }),
    outboxSent: new Counter({
      name: 'feishu_outbox_sent_total',
      help: 'Outbox rows delivered to Feishu, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    outboxFailed: new Counter({
      name: 'feishu_outbox_failed_total',
      help: 'Outbox rows given up on (permanent errors), by Feishu error code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    outboxDeadLetters: new Counter({
      name: 'feishu_outbox_dead_letters_total',
      help: 'Outbox rows that waited longer than OUTBOX_MAX_WAIT_HOURS (rate limits, an outage) and were given up, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    outboxRetries: new Counter({
      name: 'feishu_outbox_retries_total',
      help: 'Outbox sends retried after a transient error, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    urgentCalls: new Counter({
      name: 'feishu_urgent_calls_total',
      help: 'People buzzed by SMS or phone 加急 (policy channels urgent_sms / urgent_phone), by channel',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    urgentFallbacks: new Counter({
      name: 'feishu_urgent_fallbacks_total',
      help: 'People who got in-app 加急 only instead of SMS/phone, by channel and reason (budget: the daily budget was spent; quota: Feishu said 230024; error: another error)',
      labelNames: ['channel', 'reason'] as const,
      registers: [registry],
    }),
    reminderStepsSent: new Counter({
      name: 'reminder_steps_sent_total',
      help: 'Reminder and escalation steps sent (each once per hazard), by policy step and channel',
      labelNames: ['step', 'channel'] as const,
      registers: [registry],
    }),
    reminderFallbacks: new Counter({
      name: 'reminder_fallbacks_total',
      help: 'Roles of reminder steps nobody reachable held, told to the nearest role up the chain instead (told_role "none": nobody), by role',
      labelNames: ['role', 'told_role'] as const,
      registers: [registry],
    }),
    reminderStepsUndelivered: new Counter({
      name: 'reminder_steps_undelivered_total',
      help: 'Reminder steps nobody at all could be told of (not even the county leaders), by policy step',
      labelNames: ['step'] as const,
      registers: [registry],
    }),
    reminderEscalations: new Counter({
      name: 'reminder_escalations_total',
      help: 'Hazards put under supervision (挂牌督办) by the escalation policy, by level',
      labelNames: ['level'] as const,
      registers: [registry],
    }),
    reminderDigestsSent: new Counter({
      name: 'reminder_digests_sent_total',
      help: 'Daily digest cards sent to leaders',
      registers: [registry],
    }),
    reminderSweepDuration: new Histogram({
      name: 'reminder_sweep_duration_seconds',
      help: 'Duration of reminder jobs (sweep, digest), whole runs',
      labelNames: ['job'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    smsSent: new Counter({
      name: 'sms_sent_total',
      help: 'SMS accepted by the SMS gateway (or found in its receipts after an unanswered attempt)',
      registers: [registry],
    }),
    smsFailed: new Counter({
      name: 'sms_failed_total',
      help: 'SMS given up (permanent gateway errors, retries exhausted, no gateway configured), by code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    smsOverBudget: new Counter({
      name: 'sms_over_budget_total',
      help: 'SMS not sent because the day had used SMS_DAILY_BUDGET',
      registers: [registry],
    }),
    smsRetries: new Counter({
      name: 'sms_retries_total',
      help: 'SMS attempts to be retried, by reason (transient; unknown = the receipts are asked before resending)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    smsBudgetUsed: new Gauge({
      name: 'sms_budget_used',
      help: 'SMS counted against the daily budget on the day of the latest SMS (local day, BOT_TIMEZONE)',
      registers: [registry],
    }),
    outboxBacklog: new Gauge({
      name: 'feishu_outbox_backlog',
      help: 'Outbox rows waiting to be sent',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
