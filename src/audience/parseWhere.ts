import type { AudienceFilter, Condition } from './audienceFilter';

/**
 * The `--where` syntax of the CLI and of `GET /admin/audience/count?where=…`: one condition per
 * clause, every clause must hold. Parse errors name the clause and list the accepted forms.
 */
export const WHERE_FORMS = [
  'tag=NAME, tag!=NAME',
  'field.NAME=VALUE, field.NAME!=VALUE, field.NAME>=N (also >, <, <=), field.NAME in A,B,C,',
  '  field.NAME exists, field.NAME missing, field.NAME contains TEXT',
  'consent.TOPIC=yes, consent.TOPIC=no',
  'window=open, window=closed, window<6h (open and closing within 6 hours)',
  'last<7d (interacted within 7 days), last>30d (longer ago, or never; also h for hours)',
  'ref=NAME, source=ads|shortlink|customer_chat_plugin|… (their latest referral), ad=AD_ID',
  'flow=FLOW, node=FLOW/NODE',
  'thread=bot|handing_over|human|paused',
  'mmtoken=yes, mmtoken=no (an active Marketing Messages token)',
  'A | B (spaces around the bar): either one holds, e.g. tag=vip | field.plan=gold',
] as const;

export type WhereResult =
  { readonly ok: true; readonly filter: AudienceFilter } | { readonly ok: false; readonly problems: string[] };

type Clause = { readonly ok: true; readonly condition: Condition } | { readonly ok: false; readonly why: string };

const fail = (why: string): Clause => ({ ok: false, why });
const ok = (condition: Condition): Clause => ({ ok: true, condition });
const NAME = /^[^\s=!<>]+$/;

function yesNo(value: string): boolean | undefined {
  const v = value.toLowerCase();
  if (['yes', 'true', 'on', '1'].includes(v)) return true;
  if (['no', 'false', 'off', '0'].includes(v)) return false;
  return undefined;
}

/** "7d" or "12h" (hours may be fractional) in hours. */
function hoursOf(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([hd])$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 ? (m[2]?.toLowerCase() === 'd' ? n * 24 : n) : undefined;
}

function fieldClause(name: string, op: string, raw: string): Clause {
  const value = raw.trim();
  if (op === 'exists' || op === 'missing') return ok({ field: name, exists: op === 'exists' });
  if (value === '') return fail(`no value after "${op}"`);
  if (op === 'in') {
    const values = value.split(',').map((v) => v.trim());
    if (values.some((v) => v === '')) return fail('an empty value in the list (write in a,b,c)');
    return ok({ field: name, in: values });
  }
  if (op === 'contains') return ok({ field: name, contains: value });
  if (op === '=') return ok({ field: name, equals: value });
  if (op === '!=') return ok({ field: name, notEquals: value });
  const n = Number(value);
  if (!Number.isFinite(n)) return fail(`"${value}" is not a number (${op} compares numbers)`);
  const key = ({ '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte' } as const)[op as '>' | '>=' | '<' | '<='];
  return ok({ field: name, [key]: n });
}

function parseClause(clause: string): Clause {
  // Word operators first: a value after them may hold any character (field.note contains a=b).
  const field =
    /^field\.(\S+)\s+(in|contains|exists|missing)(?:\s+(.*))?$/i.exec(clause) ??
    /^field\.(.+?)\s*(>=|<=|!=|=|>|<)\s*(.*)$/.exec(clause);
  if (field) {
    const [, name = '', op = '', value = ''] = field;
    if (!NAME.test(name)) return fail(`"${name}" is not a field name`);
    return fieldClause(name, op.toLowerCase(), value);
  }
  if (clause.startsWith('field')) return fail('a field clause is field.NAME then an operator');
  const m = /^([a-z]+)(?:\.([^\s=!<>]+))?\s*(!=|=|<|>)\s*(.+)$/i.exec(clause);
  if (!m) return fail('not a clause of any accepted form');
  const [, word = '', sub, op = '', rawValue = ''] = m;
  const key = word.toLowerCase();
  const value = rawValue.trim();
  const only = (...ops: string[]): Clause | undefined =>
    ops.includes(op) ? undefined : fail(`"${key}" takes ${ops.map((o) => `${key}${o}…`).join(' or ')}`);
  if (sub !== undefined && key !== 'consent') return fail(`"${key}.${sub}": only field. and consent. take a name after the dot`);
  switch (key) {
    case 'tag':
      return only('=', '!=') ?? ok({ tag: value, has: op === '=' });
    case 'consent': {
      if (sub === undefined) return fail('write consent.TOPIC=yes or consent.TOPIC=no');
      const yes = yesNo(value);
      if (yes === undefined) return fail(`"${value}" is not yes or no`);
      return only('=') ?? ok({ consent: sub, subscribed: yes });
    }
    case 'window': {
      if (op === '<') {
        const hours = hoursOf(value);
        return hours === undefined ? fail(`"${value}" is not a duration such as 6h or 2d`) : ok({ closesWithinHours: hours });
      }
      if (value !== 'open' && value !== 'closed') return fail(`"${value}" is not open or closed`);
      return only('=', '<') ?? ok({ window: value });
    }
    case 'last': {
      const hours = hoursOf(value);
      if (hours === undefined) return fail(`"${value}" is not a duration such as 7d or 12h`);
      return only('<', '>') ?? ok({ lastInteraction: op === '<' ? { withinHours: hours } : { olderThanHours: hours } });
    }
    case 'ref':
      return only('=') ?? ok({ ref: value });
    case 'source':
      return only('=') ?? ok({ source: value });
    case 'ad':
      return only('=') ?? ok({ adId: value });
    case 'flow':
      return only('=') ?? ok({ flow: value });
    case 'node': {
      const slash = value.indexOf('/');
      if (slash <= 0 || slash === value.length - 1) return fail(`"${value}" is not FLOW/NODE`);
      return only('=') ?? ok({ flow: value.slice(0, slash), node: value.slice(slash + 1) });
    }
    case 'thread': {
      const states = ['bot', 'handing_over', 'human', 'paused'] as const;
      const state = states.find((s) => s === value);
      return only('=') ?? (state ? ok({ thread: state }) : fail(`"${value}" is not one of ${states.join(', ')}`));
    }
    case 'mmtoken': {
      const yes = yesNo(value);
      return only('=') ?? (yes === undefined ? fail(`"${value}" is not yes or no`) : ok({ marketingToken: yes }));
    }
    default:
      return fail(`"${key}" is not something to filter on`);
  }
}

/** `A | B | …`: one condition of several (JSON `any`); a single clause is itself. */
function parseEither(clause: string): Clause {
  const parts = clause.split(/\s+\|\s+/);
  if (parts.length === 1) return parseClause(clause);
  const any: Condition[] = [];
  for (const part of parts) {
    const parsed = part.trim() === '' ? fail('empty') : parseClause(part.trim());
    if (!parsed.ok) return fail(`"${part.trim()}": ${parsed.why}`);
    any.push(parsed.condition);
  }
  return ok({ any });
}

/** Parses `--where` clauses (all must hold) into a filter; every bad clause is reported, not just the first. */
export function parseWhere(clauses: readonly string[]): WhereResult {
  const all: Condition[] = [];
  const problems: string[] = [];
  for (const raw of clauses) {
    const clause = raw.trim();
    const parsed = clause === '' ? fail('empty') : parseEither(clause);
    if (parsed.ok) all.push(parsed.condition);
    else problems.push(`--where "${raw}": ${parsed.why}`);
  }
  if (problems.length > 0) problems.push(`Accepted forms:\n  ${WHERE_FORMS.join('\n  ')}`);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, filter: { all } };
}
