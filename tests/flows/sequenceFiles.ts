import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadFlows } from '../../src/flows/loadFlows';
import type { Problem } from '../../src/flows/problem';

/** A flow that subscribes users to "tips" and starts the sequence "tips"; a postback TIPS_MORE is answered. */
export const FLOW = `id: shop
start: welcome
triggers:
  - keyword: hi
  - { postback: TIPS_MORE, goto: welcome }
nodes:
  welcome:
    actions:
      - subscribe: tips
      - start_sequence: tips
    say:
      - text: "Hello! Tips are on their way."
    end: true
fallback:
  text: "Sorry?"
  escalate_after: 2
`;

/** A valid sequence on the topic "tips": a tip now, one after 2 hours. */
export const SEQUENCE = `id: tips
name: Tips
topic: tips
steps:
  - id: now
    delay: 0m
    kind: promotional
    messages:
      - text: "Tip one"
  - id: later
    delay: 2h
    window: { hours: ["09:00", "20:00"] }
    kind: promotional
    messages:
      - text: "Tip two"
`;

/** A flows directory with these files (paths relative to it, e.g. "sequences/tips.yaml"). */
export function flowsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'talkshop-sequences-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

export interface Loaded {
  readonly ok: boolean;
  readonly problems: readonly Problem[];
  readonly sequences: readonly string[];
}

export function load(dir: string): Loaded {
  const r = loadFlows(dir);
  return r.ok
    ? { ok: true, problems: r.warnings, sequences: [...r.flowSet.sequences.keys()] }
    : { ok: false, problems: r.problems, sequences: [] };
}

/** The 1-based line of the first line of `text` containing `marker` (after the `nth - 1` earlier ones). */
export function lineWith(text: string, marker: string, nth = 1): number {
  let seen = 0;
  const index = text.split('\n').findIndex((l) => l.includes(marker) && ++seen === nth);
  if (index < 0) throw new Error(`no line with ${marker}`);
  return index + 1;
}

/** The problems of one file as "severity line: message", for exact comparisons. */
export const inFile = (problems: readonly Problem[], name: string): string[] =>
  problems.filter((p) => p.file.endsWith(name)).map((p) => `${p.severity} ${p.line ?? '-'}: ${p.message}`);
