// Marks that clear in O(1): a set of small integers (field ids a decoder has seen in one match) kept as
// generation numbers, so that starting over is a counter increment rather than a fill or a new Set.

/** Which of ids 0..size-1 are marked in the current round. */
export class RoundMarks {
  private readonly marks: Uint32Array;
  private round = 0;

  constructor(size: number) {
    this.marks = new Uint32Array(size);
  }

  /** Starts a round in which nothing is marked. */
  begin(): void {
    this.round = (this.round + 1) >>> 0;
    if (this.round === 0) {
      // Wrapped: a mark from 2^32 rounds ago would otherwise count again.
      this.marks.fill(0);
      this.round = 1;
    }
  }

  /** Whether `id` is marked in this round. */
  has(id: number): boolean {
    return this.marks[id] === this.round;
  }

  mark(id: number): void {
    this.marks[id] = this.round;
  }
}
