/** The pool's small parts, without a database: error classes, deadlines, percentiles. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isBoundedError } from '../../../runtime/errors.js';
import { isConnectionLoss, isRetryableTransactionError, isStatementError, isStatementTimeout } from '../../../runtime/pool/classify.js';
import { DeadlineList } from '../../../runtime/pool/deadlines.js';
import { PoolConnectionError, isPoolConnectionError } from '../../../runtime/pool/errors.js';
import { SlidingSample } from '../../../runtime/internal/sample.js';

/** A pg DatabaseError's shape. */
function serverError(code: string, severity = 'ERROR', message = 'boom'): Error {
  return Object.assign(new Error(message), { code, severity });
}

describe('classify', () => {
  it('keeps the session after an error about one statement', () => {
    for (const code of ['42601', '23505', '40001', '40P01', '57014', '22012']) {
      expect(isStatementError(serverError(code))).toBe(true);
      expect(isConnectionLoss(serverError(code))).toBe(false);
    }
  });

  it('treats a terminated or broken session as a lost connection', () => {
    expect(isConnectionLoss(serverError('57P01', 'FATAL', 'terminating connection due to administrator command'))).toBe(true);
    expect(isConnectionLoss(serverError('08006'))).toBe(true);
    expect(isConnectionLoss(serverError('25P03', 'FATAL'))).toBe(true);
    expect(isConnectionLoss(serverError('53300', 'FATAL'))).toBe(true);
    expect(isConnectionLoss(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isStatementError(serverError('57P01', 'FATAL'))).toBe(false);
  });

  it('leaves other errors alone, without calling them connection failures', () => {
    expect(isConnectionLoss(new TypeError('Client was passed a null or undefined query'))).toBe(false);
    expect(isStatementError(new TypeError('bad argument'))).toBe(false);
  });

  it('tells a statement timeout from a cancel on request', () => {
    expect(isStatementTimeout(serverError('57014', 'ERROR', 'canceling statement due to statement timeout'))).toBe(true);
    expect(isStatementTimeout(serverError('57014', 'ERROR', 'canceling statement due to user request'))).toBe(false);
  });

  it('retries only serialization failures and deadlocks', () => {
    expect(isRetryableTransactionError(serverError('40001'))).toBe(true);
    expect(isRetryableTransactionError(serverError('40P01'))).toBe(true);
    expect(isRetryableTransactionError(serverError('23505'))).toBe(false);
  });
});

describe('PoolConnectionError', () => {
  it('names the pool, the phase and the cause, and carries the code', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const error = new PoolConnectionError({ resource: 'main', phase: 'connect', cause });
    expect(error.message).toBe('Pool "main" could not open a connection: connect ECONNREFUSED 127.0.0.1:5432');
    expect(error).toMatchObject({ name: 'PoolConnectionError', phase: 'connect', code: 'ECONNREFUSED', resource: 'main' });
    expect(error.cause).toBe(cause);
    expect(isPoolConnectionError(error)).toBe(true);
    expect(isBoundedError(error)).toBe(true);
    expect(isPoolConnectionError(new Error('x'))).toBe(false);

    const lost = new PoolConnectionError({
      resource: 'main',
      phase: 'query',
      cause: serverError('57P01', 'FATAL', 'terminating connection due to administrator command'),
    });
    expect(lost.message).toBe('Pool "main" lost its connection while in use: terminating connection due to administrator command (57P01)');
  });
});

describe('DeadlineList', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires entries in order with one timer, and never the removed ones', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const list = new DeadlineList(100);
    const expired: string[] = [];
    list.add(() => expired.push('a'));
    vi.advanceTimersByTime(30);
    const b = list.add(() => expired.push('b'));
    vi.advanceTimersByTime(30);
    list.add(() => expired.push('c'));
    expect(vi.getTimerCount()).toBe(1);

    list.remove(b);
    list.remove(b); // twice does nothing
    vi.advanceTimersByTime(40); // t = 100: a is due
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(59); // t = 159: c is due at 160
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a', 'c']);
    expect(vi.getTimerCount()).toBe(0); // an empty list holds no timer
  });

  it('stops its timer when the last entry goes', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const list = new DeadlineList(1_000);
    const entry = list.add(() => {
      throw new Error('must not expire');
    });
    list.remove(entry);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(2_000);
  });
});

describe('SlidingSample', () => {
  it('reports nearest-rank percentiles over the last values only', () => {
    const sample = new SlidingSample(100);
    expect(sample.percentiles()).toEqual({ p50: 0, p95: 0, p99: 0 });
    for (let i = 1; i <= 100; i++) sample.add(i);
    expect(sample.percentiles()).toEqual({ p50: 50, p95: 95, p99: 99 });
    for (let i = 0; i < 100; i++) sample.add(1_000); // the old values slide out
    expect(sample.size).toBe(100);
    expect(sample.percentiles()).toEqual({ p50: 1_000, p95: 1_000, p99: 1_000 });
  });
});
