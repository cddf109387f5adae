import cluster from 'node:cluster';
import { createLogger } from '../lib/log';
import { failedToStart, runService } from '../lib/main';
import { shareMetricsWithPrimary } from '../lib/observability/metrics';
import { loadRouterConfig, type RouterConfig } from './config';
import { buildRouter } from './server';
import { superviseWorkers } from './workers';

if (cluster.isWorker) {
  runService(async () => {
    const config = loadRouterConfig();
    // A worker's metrics are served by the primary, added to the other workers'.
    const definition = buildRouter({ ...config, metrics: { ...config.metrics, port: null } });
    if (definition.metrics) shareMetricsWithPrimary(definition.metrics);
    return { definition, port: config.port };
  });
} else {
  let config: RouterConfig;
  try {
    config = loadRouterConfig();
  } catch (error) {
    failedToStart(error);
  }
  if (config.workers > 1) {
    superviseWorkers({ workers: config.workers, metricsPort: config.metrics.port, log: createLogger('router') }).catch(failedToStart);
  } else {
    runService(async () => ({ definition: buildRouter(config), port: config.port }));
  }
}
