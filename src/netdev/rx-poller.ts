// The receive side's synchronous poll, shared by the system and internal netdevs: a few batches per call
// (so one busy port cannot hold the event loop; level-triggered readiness calls again), and no re-entry
// from inside the port's own rx handler, whose batch is not yet given back to the kernel.

/** Runs a port's receive-batch function for Netdev.poll(). */
export class RxPoller {
  private receiving = false;

  constructor(
    /** Batches per poll at most. */
    private readonly rounds: number,
    /** Frames in a full batch (a shorter one means the port is drained). */
    private readonly batch: number,
  ) {}

  /** Calls `receiveBatch` until the port is drained or `rounds` batches were taken; returns frames taken. */
  run(receiveBatch: () => number): number {
    if (this.receiving) return 0;
    this.receiving = true;
    let n = 0;
    try {
      for (let round = 0; round < this.rounds; round++) {
        const got = receiveBatch();
        n += got;
        if (got < this.batch) break;
      }
    } finally {
      this.receiving = false;
    }
    return n;
  }
}
