/**
 * The step log of one apply. The applier first hands it the whole list of steps, then, before
 * the first step runs, records the intent to run them all (durably, for a journal on disk),
 * after each step its completion (and, for a copy, which folder it made, as soon as it made it),
 * during a rollback the intent to undo each step (durably) and
 * each undo, and at the end the outcome.
 * `MemoryJournal` keeps it in memory; `FileJournal` (journal/writer.ts) is the write-ahead journal
 * on disk that `linkplan recover` reads back after a crash (journal/reader.ts).
 */
import type { Step } from '../apply/steps.js';
import type { AbsPath } from '../core/paths.js';
import type { Action, LinkSpec, PruneOutcome } from '../core/types.js';

/** How an apply ended; `refused`: its checks failed before the first step, nothing ran. */
export type JournalOutcome = 'committed' | 'rolled-back' | 'rollback-failed' | 'refused' | 'recovered' | 'completed-forward';

export interface Journal {
  /**
   * The apply's whole list of steps; a step's sequence number is its index here. `ends[i]` is one
   * past the last step of action i, where the steps are a plan's.
   */
  start(steps: readonly Step[], opts?: { ends?: ArrayLike<number> | undefined }): void;
  /** Records the intent to run these steps; durable on return. */
  begin(seqs: readonly number[]): void;
  done(seq: number): void;
  /** Records which folder a copy step made (its identity) before anything is put in it; durable on return. */
  made(seq: number, root: string): void;
  /** Records the intent to undo this done step; durable on return (a rollback is written ahead too). */
  undoing(seq: number): void;
  undone(seq: number): void;
  close(outcome: JournalOutcome): void;
}

export class MemoryJournal implements Journal {
  private steps: readonly Step[] = [];
  private readonly state = new Map<number, 'begun' | 'done' | 'undoing' | 'undone'>();
  outcome: JournalOutcome | undefined;

  start(steps: readonly Step[]): void {
    this.steps = steps;
  }
  begin(seqs: readonly number[]): void {
    for (const s of seqs) this.state.set(s, 'begun');
  }
  done(seq: number): void {
    this.state.set(seq, 'done');
  }
  made(seq: number, root: string): void {
    void seq;
    void root;
  }
  undoing(seq: number): void {
    this.state.set(seq, 'undoing');
  }
  undone(seq: number): void {
    this.state.set(seq, 'undone');
  }
  /** The completed steps not undone, oldest first. */
  completed(): { seq: number; step: Step }[] {
    return [...this.state]
      .filter(([, st]) => st === 'done')
      .map(([seq]) => seq)
      .sort((a, b) => a - b)
      .flatMap((seq) => {
        const step = this.steps[seq];
        return step === undefined ? [] : [{ seq, step }];
      });
  }
  close(outcome: JournalOutcome): void {
    this.outcome = outcome;
  }
}

/**
 * What the records take from an applied action: a plan's `Action`, or the journal's short form of
 * it as it is written (a link's text left out where it is its target, and `before` where nothing
 * was), taken in as it is read.
 */
export interface RecordedAction {
  kind: Action['kind'];
  path: AbsPath;
  link?: { type: LinkSpec['type']; target: AbsPath; linkText?: string } | undefined;
  backupPath?: AbsPath | undefined;
  before?: { kind: Action['before']['kind'] } | undefined;
  /** For a noop of `--prune`: what it found (the link is linkplan's no more). */
  prune?: PruneOutcome | undefined;
  /** For a backup or an adopt: the identity of what it moved (`BackupRecord.identity`). */
  identity?: string | undefined;
}
