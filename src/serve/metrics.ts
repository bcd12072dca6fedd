import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics for /metrics, one registry per service (tests start several in a process).
 * Graph calls and their latency, posts per platform and outcome, scheduled runs by outcome.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly graphCalls = new Counter({
    name: 'waba_pulse_graph_calls_total',
    help: 'Graph API calls by HTTP status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly graphLatency = new Histogram({
    name: 'waba_pulse_graph_call_seconds',
    help: 'Graph API call latency',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly runs = new Counter({
    name: 'waba_pulse_runs_total',
    help: 'Scheduled runs by outcome',
    labelNames: ['job', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly posts = new Counter({
    name: 'waba_pulse_posts_total',
    help: 'Messages posted by platform and outcome',
    labelNames: ['platform', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'waba_pulse_errors_total',
    help: 'Errors by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly webhookRequests = new Counter({
    name: 'waba_pulse_webhook_requests_total',
    help: 'WhatsApp webhook requests by outcome (accepted, bad_signature, bad_input, too_large, store_unavailable, …)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly webhookEvents = new Counter({
    name: 'waba_pulse_webhook_events_total',
    help: 'WhatsApp status and health events by outcome (accepted, health, health_duplicate, dropped with a reason, foreign, foreign_number, ignored)',
    labelNames: ['outcome', 'reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'waba_pulse_' });
  }

  observeGraphCall(info: { status: number | undefined; ms: number }): void {
    this.graphCalls.inc({ status: String(info.status ?? 'error') });
    this.graphLatency.observe(info.ms / 1000);
  }
}
