import type { AlertLevel } from './types.js';

export interface AlertRules {
  readonly warningLevel: number;
  readonly hysteresis: number;
  readonly minAlertIntervalMs: number;
}

export interface AlertDecision {
  readonly level: AlertLevel;
  readonly suppressed: number;
}

/**
 * One resource's alert state. The level follows utilization with hysteresis: it turns to
 * `warning` at `warningLevel` and back to `ok` only below `warningLevel - hysteresis`. An alert
 * goes out when the level differs from the last one reported and `minAlertIntervalMs` has passed
 * since that report; level changes in between are counted and reported with the next alert. So a
 * change that came too soon is reported late, never lost, and a flapping resource raises at most
 * one alert per interval.
 */
export class AlertTracker {
  level: 'ok' | 'warning' = 'ok';
  #reported: 'ok' | 'warning' = 'ok';
  #lastAlertAt = Number.NEGATIVE_INFINITY;
  /** Level changes since the last alert, the one an alert reports included. */
  #changes = 0;
  warnings = 0;
  recoveries = 0;

  /** Feeds one utilization reading; returns the alert to raise, if any. */
  update(utilization: number | null, now: number, rules: AlertRules): AlertDecision | undefined {
    if (utilization !== null && !Number.isNaN(utilization)) {
      const next =
        this.level === 'ok'
          ? utilization >= rules.warningLevel
            ? 'warning'
            : 'ok'
          : utilization < rules.warningLevel - rules.hysteresis
            ? 'ok'
            : 'warning';
      if (next !== this.level) {
        this.level = next;
        this.#changes++;
      }
    }
    if (this.level === this.#reported || now - this.#lastAlertAt < rules.minAlertIntervalMs) return undefined;
    const suppressed = this.#changes - 1;
    this.#changes = 0;
    this.#reported = this.level;
    this.#lastAlertAt = now;
    if (this.level === 'warning') {
      this.warnings++;
      return { level: 'warning', suppressed };
    }
    this.recoveries++;
    return { level: 'recovered', suppressed };
  }
}
