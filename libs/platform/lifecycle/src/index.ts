/**
 * Graceful shutdown: closers run in reverse order of registration (last
 * opened, first closed) under one hard timeout, on SIGTERM or SIGINT.
 */
interface Closer {
  name: string;
  close: () => Promise<void> | void;
}

interface Log {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class Lifecycle {
  private readonly closers: Closer[] = [];
  private shuttingDown?: Promise<void>;

  constructor(
    private readonly log: Log,
    private readonly timeoutMs: number,
  ) {}

  /** Registers something to close on shutdown. */
  defer(name: string, close: Closer['close']): void {
    this.closers.push({ name, close });
  }

  /** Closes everything, newest first; resolves even if a closer fails. */
  shutdown(reason: string): Promise<void> {
    this.shuttingDown ??= this.closeAll(reason);
    return this.shuttingDown;
  }

  /** Exits the process after a graceful shutdown on SIGTERM/SIGINT, or hard after the timeout. */
  exitOnSignals(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      const timer = setTimeout(() => {
        this.log.error({ signal, timeoutMs: this.timeoutMs }, 'shutdown timed out, exiting');
        process.exit(1);
      }, this.timeoutMs);
      timer.unref();
      void this.shutdown(signal).then(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  private async closeAll(reason: string): Promise<void> {
    this.log.info({ reason }, 'shutting down');
    const started = Date.now();
    for (const { name, close } of [...this.closers].reverse()) {
      try {
        await close();
      } catch (err) {
        this.log.error({ err, closer: name }, 'close failed');
      }
    }
    this.log.info({ ms: Date.now() - started }, 'stopped');
  }
}

/**
 * Runs a service's main function; a failure to start (bad config, a server
 * down) is printed as one JSON line on stderr and exits with status 1.
 */
export function runMain(service: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const error = err instanceof Error ? { type: err.name, message: err.message, stack: err.stack } : { message: String(err) };
    process.stderr.write(`${JSON.stringify({ level: 'fatal', service, msg: 'failed to start', err: error })}\n`);
    process.exit(1);
  });
}

/**
 * Retries a start-up step (connecting to a server that may still be coming
 * up) with backoff until it succeeds or timeoutMs passes, then rethrows.
 */
export async function startupStep<T>(
  what: string,
  step: () => Promise<T>,
  log: { warn(obj: object, msg: string): void },
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await step();
    } catch (err) {
      if (Date.now() + delay > deadline) throw err;
      log.warn({ err, step: what, retryInMs: delay }, 'start-up step failed, retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
