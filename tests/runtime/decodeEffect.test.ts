import { EFFECT_FORMAT, EFFECT_TYPES } from '../../src/engine/effects';
import { decodeEffect, encodeEffect } from '../../src/runtime/decodeEffect';
import { ALL_EFFECTS, EFFECT_SAMPLES } from '../engine/effectSamples';

describe('decodeEffect', () => {
  it('has a sample of every kind the schema knows', () => {
    expect(Object.keys(EFFECT_SAMPLES).sort()).toEqual([...EFFECT_TYPES].sort());
  });

  it.each(ALL_EFFECTS.map((e) => [e.type, e] as const))('reads back a %s effect exactly as the engine made it', (_type, e) => {
    const stored = JSON.parse(JSON.stringify(encodeEffect(e)));
    expect(stored.v).toBe(EFFECT_FORMAT);
    expect(decodeEffect(stored)).toEqual({ type: 'effect', effect: e });
  });

  it('ignores a field it does not know (a newer release may add optional ones)', () => {
    expect(decodeEffect({ v: 1, body: { type: 'mark_seen', priority: 'high' } })).toEqual({
      type: 'effect',
      effect: { type: 'mark_seen' },
    });
  });

  it('leaves a kind or a format version it does not know to a newer release', () => {
    expect(decodeEffect({ v: 1, body: { type: 'broadcast', audience: 'all' } })).toEqual({
      type: 'unknown',
      reason: 'kind',
      detail: 'broadcast',
    });
    // A later format is left alone even when its kind looks familiar: its fields may mean something else.
    expect(decodeEffect({ v: EFFECT_FORMAT + 1, body: EFFECT_SAMPLES.send })).toEqual({
      type: 'unknown',
      reason: 'version',
      detail: `format ${EFFECT_FORMAT + 1}`,
    });
  });

  it('calls a known kind with a bad shape, or no kind at all, corrupt', () => {
    const badSend = decodeEffect({ v: 1, body: { ...EFFECT_SAMPLES.send, message: { text: '' } } });
    expect(badSend).toMatchObject({ type: 'corrupt', kind: 'send' });
    expect(decodeEffect({ v: 1, body: { type: 'typing', ms: '500' } })).toMatchObject({ type: 'corrupt', kind: 'typing' });
    expect(decodeEffect({ v: 1, body: ['send'] })).toMatchObject({ type: 'corrupt', kind: 'unreadable' });
    expect(decodeEffect({ v: 1, body: { type: 7 } })).toMatchObject({ type: 'corrupt', kind: 'unreadable' });
  });
});
