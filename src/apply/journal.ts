/**
 * The step log of one apply: before each step its intent is recorded, after it its completion,
 * so that on a failure exactly the completed steps are undone, in reverse. `MemoryJournal`
 * keeps it in memory for the life of the process; the interface is the one a durable
 * write-ahead journal on disk implements too.
 */
import type { Step } from './steps.js';

export interface Journal {
  /** Records that `step` is about to run; returns its sequence number. */
  begin(step: Step): number;
  /** Records that step `seq` completed. */
  done(seq: number): void;
  /** Records that step `seq` was undone during rollback. */
  undone(seq: number): void;
  /** The completed steps not yet undone, oldest first. */
  completed(): { seq: number; step: Step }[];
  /** The apply finished (committed or fully rolled back). */
  close(outcome: 'committed' | 'rolled-back' | 'rollback-failed'): void;
}

export class MemoryJournal implements Journal {
  private readonly steps: { step: Step; state: 'begun' | 'done' | 'undone' }[] = [];
  outcome: 'committed' | 'rolled-back' | 'rollback-failed' | undefined;

  begin(step: Step): number {
    this.steps.push({ step, state: 'begun' });
    return this.steps.length - 1;
  }
  done(seq: number): void {
    const s = this.steps[seq];
    if (s !== undefined) s.state = 'done';
  }
  undone(seq: number): void {
    const s = this.steps[seq];
    if (s !== undefined) s.state = 'undone';
  }
  completed(): { seq: number; step: Step }[] {
    return this.steps.flatMap((s, seq) => (s.state === 'done' ? [{ seq, step: s.step }] : []));
  }
  close(outcome: 'committed' | 'rolled-back' | 'rollback-failed'): void {
    this.outcome = outcome;
  }
}
