export {
  createMetrics,
  knownEvent,
  type MetricSources,
  type Metrics,
  type RateLimitKind,
  type WebhookLaneName,
  type WebhookOutcome,
} from './metrics';
export { METRICS_PATH, metricsRoutes } from './route';
