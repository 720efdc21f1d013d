import { describe, expect, it } from 'vitest';
import * as errors from '../../runtime/errors.js';
import {
  BoundedError,
  ClosedError,
  QueueFullError,
  TimeoutError,
  isBoundedError,
  isClosedError,
  isQueueFullError,
  isTimeoutError,
} from '../../runtime/index.js';

type ErrorsModule = typeof errors;

/** A second, separately evaluated copy of the module, as when two versions of bounded are installed. */
async function secondCopy(): Promise<ErrorsModule> {
  const specifier = '../../runtime/errors.ts?copy';
  return (await import(specifier)) as ErrorsModule;
}

function samples(module: ErrorsModule) {
  return {
    queueFull: new module.QueueFullError({ kind: 'Semaphore', limit: 2, maxQueue: 10, waiting: 10 }),
    timeout: new module.TimeoutError({ operation: 'x', timeoutMs: 5 }),
    closed: new module.ClosedError('Pool'),
  };
}

describe('QueueFullError', () => {
  it('names the resource, the limit and the queue bound', () => {
    const error = new QueueFullError({
      kind: 'Semaphore',
      resource: 'db',
      limit: 10,
      maxQueue: 1_000,
      inUse: 10,
      waiting: 1_000,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(BoundedError);
    expect(error.name).toBe('QueueFullError');
    expect(error.message).toBe('Semaphore "db" queue is full: 1000 waiting (maxQueue 1000), 10 of 10 in use');
    expect(error).toMatchObject({ kind: 'Semaphore', resource: 'db', limit: 10, maxQueue: 1_000, waiting: 1_000 });
    expect(error.cause).toBeUndefined();
  });

  it('leaves out what it was not told', () => {
    const error = new QueueFullError({ kind: 'TokenBucket', limit: 5, maxQueue: 0, waiting: 0 });
    expect(error.message).toBe('TokenBucket queue is full: 0 waiting (maxQueue 0)');
    expect(error.resource).toBeUndefined();
  });
});

describe('TimeoutError', () => {
  it('names the operation and the deadline, and keeps a cause', () => {
    const cause = new Error('socket hang up');
    const error = new TimeoutError({ operation: 'GET /users', timeoutMs: 1_500, resource: 'api', cause });
    expect(error).toBeInstanceOf(BoundedError);
    expect(error.name).toBe('TimeoutError');
    expect(error.message).toBe('GET /users timed out after 1500 ms (timeoutMs 1500)');
    expect(error).toMatchObject({ operation: 'GET /users', timeoutMs: 1_500, resource: 'api' });
    expect(error.cause).toBe(cause);
  });

  it('prints whole seconds as seconds', () => {
    expect(new TimeoutError({ operation: 'chat', timeoutMs: 60_000 }).message).toBe('chat timed out after 60 s (timeoutMs 60000)');
  });

  it('has no cause unless given one', () => {
    const error = new TimeoutError({ operation: 'x', timeoutMs: 1 });
    expect('cause' in error).toBe(false);
  });
});

describe('ClosedError', () => {
  it('names what was closed', () => {
    const named = new ClosedError('Semaphore', 'db');
    expect(named.name).toBe('ClosedError');
    expect(named.message).toBe('Semaphore "db" is closed');
    expect([named.kind, named.resource]).toEqual(['Semaphore', 'db']);
    expect(new ClosedError('Pool').message).toBe('Pool is closed');
    expect(named).toBeInstanceOf(BoundedError);
  });
});

describe('guards', () => {
  const own = samples(errors);

  it('each guard accepts its own class only', () => {
    expect([isQueueFullError(own.queueFull), isQueueFullError(own.timeout), isQueueFullError(own.closed)]).toEqual([true, false, false]);
    expect([isTimeoutError(own.queueFull), isTimeoutError(own.timeout), isTimeoutError(own.closed)]).toEqual([false, true, false]);
    expect([isClosedError(own.queueFull), isClosedError(own.timeout), isClosedError(own.closed)]).toEqual([false, false, true]);
    expect(Object.values(own).every(isBoundedError)).toBe(true);
  });

  it('work on errors from a second copy of the module, where instanceof does not', async () => {
    const copy = await secondCopy();
    expect(copy.TimeoutError).not.toBe(TimeoutError);
    const foreign = samples(copy);
    expect(foreign.timeout).not.toBeInstanceOf(TimeoutError);
    expect(foreign.queueFull).not.toBeInstanceOf(BoundedError);
    expect(isTimeoutError(foreign.timeout)).toBe(true);
    expect(isQueueFullError(foreign.queueFull)).toBe(true);
    expect(isClosedError(foreign.closed)).toBe(true);
    expect(Object.values(foreign).every(isBoundedError)).toBe(true);
    // And the other way round.
    expect(copy.isTimeoutError(own.timeout)).toBe(true);
    expect(copy.isTimeoutError(own.closed)).toBe(false);
  });

  it('accept any object carrying the shared brand', () => {
    const branded = Object.defineProperty(new Error('from elsewhere'), Symbol.for('bounded.error'), {
      value: 'TimeoutError',
    });
    expect(isTimeoutError(branded)).toBe(true);
    expect(isBoundedError(branded)).toBe(true);
    expect(isQueueFullError(branded)).toBe(false);
  });

  it('keep the brand out of enumeration and JSON', () => {
    expect(Object.getOwnPropertySymbols(own.timeout)).toEqual([Symbol.for('bounded.error')]);
    expect(JSON.stringify(own.closed)).not.toContain('bounded');
    expect(Object.getOwnPropertyDescriptor(own.closed, Symbol.for('bounded.error'))?.enumerable).toBe(false);
  });

  it('reject the TimeoutError DOMException that AbortSignal.timeout produces', async () => {
    const signal = AbortSignal.timeout(1);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    const reason: unknown = signal.reason;
    expect(reason).toBeInstanceOf(DOMException);
    expect((reason as DOMException).name).toBe('TimeoutError');
    expect(isTimeoutError(reason)).toBe(false);
    expect(isBoundedError(reason)).toBe(false);
  });

  it.each([
    ['a DOMException named TimeoutError', new DOMException('timed out', 'TimeoutError')],
    ['an Error named TimeoutError', Object.assign(new Error('x'), { name: 'TimeoutError', timeoutMs: 5 })],
    ['a plain lookalike', { name: 'QueueFullError', message: 'queue is full', limit: 1, maxQueue: 1 }],
    ['a string brand key', { 'bounded.error': 'ClosedError' }],
    ['a private symbol brand', { [Symbol('bounded.error')]: 'TimeoutError' }],
    ['a non-string brand', { [Symbol.for('bounded.error')]: 1 }],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'TimeoutError'],
  ])('reject %s', (_label, value) => {
    expect([isTimeoutError(value), isQueueFullError(value), isClosedError(value), isBoundedError(value)]).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
