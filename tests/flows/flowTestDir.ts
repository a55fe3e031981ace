import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatReport } from '../../src/flows/formatFlowTests';
import { runFlowTests, type FlowTestsReport } from '../../src/flows/runFlowTests';

/** A throwaway flows directory with these files (paths relative to it, e.g. tests/a.yaml). */
export function flowsDir(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowtests-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** A copy of the repository's flows/ (tests included), to break on purpose. */
export function copyOfDemo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowtests-demo-'));
  cpSync(join(__dirname, '..', '..', 'flows'), dir, { recursive: true });
  return dir;
}

/** Replaces `from` (which must be there) by `to` in the file. */
export function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)}: the demo changed, update this test`);
  writeFileSync(file, text.replace(from, to));
}

export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true });

/**
 * Runs these conversation tests (name → YAML, put under tests/) against `flows` (file name → YAML)
 * and `settings`, in a throwaway flows directory removed afterwards.
 */
export function runTestsOn(
  flows: Readonly<Record<string, string>>,
  tests: Readonly<Record<string, string>>,
  settings = DEMO_SETTINGS,
): FlowTestsReport {
  const files = Object.fromEntries(Object.entries(tests).map(([name, text]) => [join('tests', name), text]));
  const dir = flowsDir({ ...flows, 'settings.yaml': settings, ...files });
  try {
    return runFlowTests(dir);
  } finally {
    removeDir(dir);
  }
}

/** The report of tests that ran; one of flows that could not run fails the test with its text. */
export function ran(report: FlowTestsReport) {
  if (report.kind !== 'run') throw new Error(formatReport(report).join('\n'));
  return report;
}

/** A small flow with every kind of step a test can drive. */
export const DEMO_FLOW = `id: demo
start: hello
triggers:
  - get_started: true
  - keyword: [hi, hello]
  - { ref: promo, goto: promo }
  - { keyword: order, goto: ask_order }
nodes:
  hello:
    say:
      - text: "Hello {{first_name}}!"
        quick_replies:
          - { title: "Yes", goto: yes_node }
          - { title: "No", goto: no_node }
  yes_node:
    actions: [{ tag: keen }]
    say: [{ text: "Great." }]
    next: check
  no_node:
    say:
      - text: "Fine."
        buttons:
          - { title: Site, url: "https://example.com" }
          - { title: Person, goto: person }
  check:
    branch:
      - if: { field: vip }
        goto: vip
      - else: plain
  vip:
    say: [{ text: "Welcome back, VIP." }]
    end: true
  plain:
    say: [{ text: "Nice to meet you." }]
    end: true
  promo:
    actions: [{ subscribe: offers }]
    say: [{ text: "Promo!" }]
    end: true
  ask_order:
    ask:
      text: "Order number?"
      capture: number
      into: order
      retries: 1
      on_fail: person
      next: lookup
  lookup:
    request:
      url: "https://api.example.com/orders/{{order}}"
      save: { state: status }
      ok: found
      not_found: unknown
      failed: down
  found:
    say: [{ text: "Order {{order}}: {{state|unknown}}." }]
    end: true
  unknown:
    say: [{ text: "No order {{order}}." }]
    end: true
  down:
    say: [{ text: "Try later." }]
    end: true
  person:
    handover: { message: "A person will answer.", reason: asked }
fallback:
  text: "Pardon?"
  escalate_after: 3
`;

export const DEMO_SETTINGS = `disclosure: { enabled: false }
requests:
  hosts:
    - host: api.example.com
`;
