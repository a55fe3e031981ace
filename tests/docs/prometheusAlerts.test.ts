/**
 * docs/prometheus-alerts.yaml is valid YAML in Prometheus's rule-file shape, every rule has what an
 * operator needs (a severity, a summary), the alerts issue #14 asks for are there, and every
 * talkshop_ metric an expression names is one the service exports (the registry of src/metrics.ts,
 * Node's default metrics included), so a renamed metric cannot leave an alert silently matching nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { createMetrics } from '../../src/metrics';

const ruleSchema = z.strictObject({
  alert: z.string().regex(/^[A-Z][A-Za-z]+$/),
  expr: z.string().min(1),
  for: z
    .string()
    .regex(/^\d+[smh]$/)
    .optional(),
  labels: z.strictObject({ severity: z.enum(['warning', 'critical']) }),
  annotations: z.strictObject({ summary: z.string().min(1), description: z.string().min(1) }),
});
const fileSchema = z.strictObject({
  groups: z.array(z.strictObject({ name: z.string(), rules: z.array(ruleSchema).min(1) })).min(1),
});

const file = fileSchema.parse(parse(readFileSync(join(__dirname, '..', '..', 'docs', 'prometheus-alerts.yaml'), 'utf8')));
const rules = file.groups.flatMap((g) => g.rules);

it('has the alerts the deployment guide promises: inbox lag, send failures, a paused Page, no webhook events', () => {
  const names = rules.map((r) => r.alert);
  expect(names).toEqual(
    expect.arrayContaining(['TalkshopInboxLagHigh', 'TalkshopSendFailures', 'TalkshopPagePaused', 'TalkshopNoWebhookEvents']),
  );
  expect(new Set(names).size).toBe(names.length);
});

it('names only metrics the service exports', async () => {
  const metrics = createMetrics();
  const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
  const named = new Set(rules.flatMap((r) => r.expr.match(/\btalkshop_[a-z_]+/g) ?? []));
  expect(named.size).toBeGreaterThan(5);
  // A histogram's series carry _bucket, _sum and _count after its name.
  const unknown = [...named].filter((n) => !exported.has(n) && !exported.has(n.replace(/_(bucket|sum|count)$/, '')));
  expect(unknown).toEqual([]);
});

it('reads a label only where the metric has it', () => {
  const metrics = createMetrics();
  const labelsOf = (name: string) =>
    (metrics.registry.getSingleMetric(name) as unknown as { labelNames?: readonly string[] } | undefined)?.labelNames ?? [];
  const used = rules.flatMap((r) => [
    // metric{label="…"} selectors
    ...[...r.expr.matchAll(/\b(talkshop_[a-z_]+)\{([^}]*)\}/g)].flatMap(([, name, inner]) =>
      [...inner!.matchAll(/([a-z_]+)\s*(?:=|!=|=~|!~)/g)].map(([, label]) => ({ name: name!, label: label! })),
    ),
    // by (label) over one metric
    ...[...r.expr.matchAll(/by \(([a-z_]+)\) \((?:rate\(|increase\()?(talkshop_[a-z_]+)/g)].map(([, label, name]) => ({
      name: name!,
      label: label!,
    })),
  ]);
  expect(used.length).toBeGreaterThan(3);
  expect(used.filter(({ name, label }) => !labelsOf(name).includes(label))).toEqual([]);
});
