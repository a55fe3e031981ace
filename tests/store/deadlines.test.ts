import { Deadlines } from '../../src/store/redis/deadlines';
import { waitFor } from '../support/webhookClient';

describe('Deadlines', () => {
  it('expires a call past its deadline once, and never one removed before it', async () => {
    let t = 0;
    const deadlines = new Deadlines(5, () => t);
    const expired: string[] = [];
    deadlines.add(100, () => expired.push('late'));
    const answered = deadlines.add(100, () => expired.push('answered'));
    deadlines.add(1000, () => expired.push('later'));
    deadlines.remove(answered);
    t = 150;
    await waitFor('the late call expired', () => (expired.length > 0 ? true : undefined));
    expect(expired).toEqual(['late']);
    t = 2000;
    await waitFor('the later one too', () => (expired.length > 1 ? true : undefined));
    expect(expired).toEqual(['late', 'later']);
  });
});
