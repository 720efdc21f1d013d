/**
 * bounded's stress and chaos harness: `import { runStress } from '@bounded/runtime/stress'`.
 * The `bounded stress` command is a thin layer over it.
 */
export { runStress, type StressOptions } from './harness.js';
export { SCENARIOS, type ChaosScenario } from './chaos.js';
export { LEVELS, type LevelSpec } from './levels.js';
export { openStressDatabase, startThrowawayPostgres, stressDatabase, type ServerControl, type StressDatabase } from './postgres.js';
export { startUpstream, type Upstream, type UpstreamMode, type UpstreamOptions, type UpstreamStats } from './upstream.js';
export { startFakeProvider, type FakeProvider, type FakeProviderOptions, type FakeProviderStats } from './fake-provider.js';
export { formatSummary } from './summary.js';
export * from './types.js';
export {
  BaselineFileError,
  compareToBaseline,
  createBaseline,
  formatComparison,
  readBaseline,
  writeBaseline,
  type BaselineComparison,
  type StressBaseline,
} from './baseline.js';
export { renderHtmlReport, writeHtmlReport, type HtmlReportOptions } from './report-html.js';
export { startEmbeddedPostgres, type EmbeddedPostgresOptions, type EmbeddedServer } from './embedded-postgres.js';
