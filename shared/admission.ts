/**
 * Load shedding for one instance: at most `limit` requests in flight. Past it, a request is
 * refused at once (503 server_busy with Retry-After), before its token is checked or exchanged,
 * so an overloaded instance answers quickly instead of queueing requests into timeouts, and
 * sends nothing upstream for them.
 *
 * @example
 * const admission = createAdmission(config.maxConcurrentRequests);
 * const release = admission.tryEnter();
 * if (!release) return serverBusy;
 * try { ... } finally { release(); }
 */
export function createAdmission(limit: number) {
  let inFlight = 0;
  return {
    /** A release function when admitted (call it exactly once), undefined when full. */
    tryEnter(): (() => void) | undefined {
      if (inFlight >= limit) return undefined;
      inFlight++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inFlight--;
      };
    },
    get inFlight() {
      return inFlight;
    },
  };
}

export type Admission = ReturnType<typeof createAdmission>;

/** What a refused client is told to wait, in seconds: an instance drains in about that long. */
export const SERVER_BUSY_RETRY_AFTER_SECONDS = 1;
