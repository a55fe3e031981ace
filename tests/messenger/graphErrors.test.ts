import { TalkshopError } from '../../src/errors';
import {
  backoffMs,
  classifyGraphError,
  GRAPH_ERROR_CLASSES,
  GRAPH_ERROR_RULES,
  GraphApiError,
  marketingCampaignFailure,
  marketingRefusal,
  type GraphErrorClass,
  type GraphErrorDetails,
} from '../../src/messenger/graphErrors';

const err = (d: Partial<GraphErrorDetails>): GraphApiError =>
  new GraphApiError({ httpStatus: 400, graphMessage: 'x', endpoint: 'POST /me/messages', ...d });

describe('classifyGraphError (docs/messenger-platform.md §3.5)', () => {
  const cases: Array<[string, Partial<GraphErrorDetails>, GraphErrorClass]> = [
    ['1 unknown error', { graphCode: 1, httpStatus: 500 }, 'retryable'],
    ['1/99 missing permission', { graphCode: 1, errorSubcode: 99 }, 'auth'],
    ['1/1357046 invalid JSON reply (may have been sent)', { graphCode: 1, errorSubcode: 1357046 }, 'unknown'],
    ['2 unexpected', { graphCode: 2, httpStatus: 500 }, 'retryable'],
    ['1200 temporary send failure', { graphCode: 1200 }, 'retryable'],
    ['1200/2018024', { graphCode: 1200, errorSubcode: 2018024 }, 'retryable'],
    ['x/2018024', { graphCode: 1, errorSubcode: 2018024 }, 'retryable'],
    ['4 app limit', { graphCode: 4 }, 'rate_limited'],
    ['4/2018354 marketing frequency', { graphCode: 4, errorSubcode: 2018354 }, 'drop'],
    ['9/2018352 too many actions', { graphCode: 9, errorSubcode: 2018352 }, 'drop'],
    ['17 user limit', { graphCode: 17 }, 'rate_limited'],
    ['32 page limit', { graphCode: 32 }, 'rate_limited'],
    ['613 custom limit', { graphCode: 613 }, 'rate_limited'],
    ['10/2018278 outside window', { graphCode: 10, errorSubcode: 2018278 }, 'outside_window'],
    ['10 other permission', { graphCode: 10 }, 'auth'],
    ['100 invalid parameter', { graphCode: 100 }, 'drop'],
    ['100/2018034 empty message', { graphCode: 100, errorSubcode: 2018034 }, 'drop'],
    ['100/2018001 no matching user', { graphCode: 100, errorSubcode: 2018001 }, 'unreachable_user'],
    ['190 token', { graphCode: 190 }, 'auth'],
    ['190/463 expired token', { graphCode: 190, errorSubcode: 463 }, 'auth'],
    ['200 permission', { graphCode: 200 }, 'auth'],
    ['551 unavailable', { graphCode: 551 }, 'unreachable_user'],
    ['551/1545041 unavailable', { graphCode: 551, errorSubcode: 1545041 }, 'unreachable_user'],
    ['x/1545041 unavailable', { graphCode: 100, errorSubcode: 1545041 }, 'unreachable_user'],
    [
      'handover disabled',
      { graphCode: 10, graphMessage: '(#10) Handover Protocol APIs disabled for this page.' },
      'handover_disabled',
    ],
    ['2300000 campaign not active', { graphCode: 2300000 }, 'campaign'],
    ['2300001 invalid message id', { graphCode: 2300001 }, 'campaign'],
    ['100/2300001 (as a subcode)', { graphCode: 100, errorSubcode: 2300001 }, 'campaign'],
    [
      '100/33 on a marketing send: the ad account',
      { graphCode: 100, errorSubcode: 33, endpoint: 'POST /act_12/messages' },
      'campaign',
    ],
    ['100/33 elsewhere', { graphCode: 100, errorSubcode: 33, endpoint: 'GET /psid-1' }, 'drop'],
    ['100 on a marketing send: skip the subscriber', { graphCode: 100, endpoint: 'POST /act_12/messages' }, 'drop'],
    ['plain 500', { httpStatus: 500 }, 'retryable'],
    ['502 without envelope', { httpStatus: 502 }, 'retryable'],
    ['503 with code 100 (code wins)', { httpStatus: 503, graphCode: 100 }, 'drop'],
    ['429 from a proxy', { httpStatus: 429 }, 'rate_limited'],
    ['network error', { httpStatus: 0, transport: 'network' }, 'retryable'],
    ['timeout', { httpStatus: 0, transport: 'timeout' }, 'retryable'],
    ['1893016 (no source)', { graphCode: 1893016 }, 'unknown'],
    ['plain 404', { httpStatus: 404 }, 'unknown'],
    ['unexpected 200 shape', { httpStatus: 200 }, 'unknown'],
  ];
  it.each(cases)('%s', (_name, details, expected) => {
    const e = err(details);
    expect(classifyGraphError(e)).toBe(expected);
    expect(e.classification).toBe(expected);
  });

  it('anything that is not a GraphApiError is unknown', () => {
    expect(classifyGraphError(new Error('boom'))).toBe('unknown');
    expect(classifyGraphError('nope')).toBe('unknown');
    expect(classifyGraphError(undefined)).toBe('unknown');
  });

  it('every rule names a known class and a reason', () => {
    for (const r of GRAPH_ERROR_RULES) {
      expect(GRAPH_ERROR_CLASSES).toContain(r.class);
      expect(r.why.length).toBeGreaterThan(5);
    }
  });
});

describe('marketingRefusal / marketingCampaignFailure', () => {
  const send = (d: Partial<GraphErrorDetails>): GraphApiError => err({ endpoint: 'POST /act_12/messages', graphCode: 100, ...d });
  it('code 100 on the marketing send: not eligible, Meta’s message kept; region by subcode or wording', () => {
    const message = '(#100) The subscriber cannot be reached: unknown subscription token';
    expect(marketingRefusal(send({ graphMessage: message }))).toEqual({
      type: 'ineligible',
      reason: 'not_subscribed',
      detail: message,
    });
    expect(marketingRefusal(send({ errorSubcode: 2300102 }))?.reason).toBe('region');
    expect(marketingRefusal(send({ graphMessage: 'Recipient country is not supported' }))?.reason).toBe('region');
  });
  it('not a recipient refusal: another endpoint, another code, refused before sending, the campaign', () => {
    expect(marketingRefusal(send({ endpoint: 'POST /me/messages' }))).toBeUndefined();
    expect(marketingRefusal(send({ graphCode: 613 }))).toBeUndefined();
    expect(marketingRefusal(send({ sent: false }))).toBeUndefined();
    expect(marketingRefusal(send({ errorSubcode: 33 }))).toBeUndefined();
    expect(marketingRefusal(send({ errorSubcode: 2300000 }))).toBeUndefined();
    expect(marketingRefusal(new Error('x'))).toBeUndefined();
  });
  it('campaign failures by code or subcode; nothing for a subscriber refusal', () => {
    expect(marketingCampaignFailure(send({ graphCode: 2300000, graphMessage: 'm' }))).toEqual({
      type: 'campaign',
      reason: 'not_active',
      detail: 'm',
    });
    expect(marketingCampaignFailure(send({ errorSubcode: 2300001 }))?.reason).toBe('invalid_message_id');
    expect(marketingCampaignFailure(send({ errorSubcode: 33 }))?.reason).toBe('ad_account');
    expect(marketingCampaignFailure(send({}))).toBeUndefined();
    expect(marketingCampaignFailure(send({ graphCode: 2300000, endpoint: 'POST /me/messages' }))).toBeUndefined();
  });
});

describe('GraphApiError', () => {
  it('is a TalkshopError with code GRAPH_ERROR and Meta fields', () => {
    const e = err({
      graphCode: 551,
      errorSubcode: 1545041,
      fbtraceId: 'AbC',
      graphMessage: "(#551) This person isn't available right now.",
    });
    expect(e).toBeInstanceOf(TalkshopError);
    expect(e.code).toBe('GRAPH_ERROR');
    expect(e.name).toBe('GraphApiError');
    expect(e.message).toContain('POST /me/messages');
    expect(e.message).toContain('551/1545041');
    expect(e.message).toContain('fbtrace_id=AbC');
    expect(e.sent).toBe(true);
    expect(e.toLog()).toMatchObject({ graphCode: 551, errorSubcode: 1545041, classification: 'unreachable_user' });
  });
});

describe('backoffMs', () => {
  const opts = { baseMs: 100, capMs: 5_000 };
  it('grows exponentially: the ceiling doubles per attempt', () => {
    const max = () => 1 - Number.EPSILON;
    expect(backoffMs(1, max, opts)).toBe(99);
    expect(backoffMs(2, max, opts)).toBe(199);
    expect(backoffMs(3, max, opts)).toBe(399);
    expect(backoffMs(6, max, opts)).toBe(3199);
  });
  it('is capped', () => {
    expect(backoffMs(7, () => 0.999999, opts)).toBeLessThan(5_000);
    expect(backoffMs(1000, () => 0.999999, opts)).toBeLessThan(5_000);
    expect(backoffMs(1000, () => 0.5, opts)).toBe(2_500);
  });
  it('has full jitter: random 0 gives 0, random 0.5 half the ceiling', () => {
    expect(backoffMs(4, () => 0, opts)).toBe(0);
    expect(backoffMs(4, () => 0.5, opts)).toBe(400);
  });
  it('tolerates a random outside [0, 1)', () => {
    expect(backoffMs(1, () => 7, opts)).toBeLessThan(100);
    expect(backoffMs(1, () => -1, opts)).toBe(0);
  });
  it('uses sane defaults', () => {
    for (let a = 1; a < 40; a += 1) expect(backoffMs(a, Math.random)).toBeLessThanOrEqual(30_000);
  });
});
