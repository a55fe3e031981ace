import { ADMIN_ROUTES, matchAdminRoute, mayCall, type AdminRoute } from '../../src/admin/adminRoutes';

describe('the admin route table', () => {
  it('matches method and path, decoding parameters; anything else is no route', () => {
    expect(matchAdminRoute('POST', '/users/a%2Db/pause')).toMatchObject({ action: 'pause', params: { psid: 'a-b' } });
    expect(matchAdminRoute('GET', '/users/abc/')).toMatchObject({ action: 'readUser', params: { psid: 'abc' } });
    expect(matchAdminRoute('GET', '/users/%E0%A4%A')).toMatchObject({ action: 'readUser', params: { psid: '%E0%A4%A' } });
    expect(matchAdminRoute('GET', '/users/abc/pause')).toBeUndefined();
    expect(matchAdminRoute('DELETE', '/threads')).toBeUndefined();
    expect(matchAdminRoute('GET', '/users/a/b')).toBeUndefined();
  });

  it('operator may call every route; agent and marketer only the ones naming their role', () => {
    const operatorOnly: AdminRoute = { method: 'POST', path: '/x', roles: [], audit: true, body: false };
    const marketerOnly: AdminRoute = { ...operatorOnly, roles: ['marketer'] };
    expect([mayCall('agent', operatorOnly), mayCall('marketer', operatorOnly), mayCall('operator', operatorOnly)]).toEqual([
      false,
      false,
      true,
    ]);
    expect([mayCall('agent', marketerOnly), mayCall('marketer', marketerOnly)]).toEqual([false, true]);
    // Today's routes: a marketer reads a user's data but never speaks or pauses as the Page.
    expect(
      Object.entries(ADMIN_ROUTES)
        .filter(([, r]) => mayCall('marketer', r))
        .map(([a]) => a),
    ).toEqual([
      'readUser',
      'consent',
      'audienceCount',
      'createBroadcast',
      'listBroadcasts',
      'readBroadcast',
      'readFunnel',
      'pauseBroadcast',
      'resumeBroadcast',
      'cancelBroadcast',
      'testBroadcast',
      'insightsUnmatched',
      'listSequences',
      'readSequence',
      'userSequence',
    ]);
    // An agent calls the thread routes; a person's whole record and its erasure are for operators only.
    expect(
      Object.entries(ADMIN_ROUTES)
        .filter(([, r]) => !mayCall('agent', r))
        .map(([a]) => a),
    ).toEqual([
      'consent',
      'exportUser',
      'forgetUser',
      'audienceCount',
      'createBroadcast',
      'listBroadcasts',
      'readBroadcast',
      'readFunnel',
      'pauseBroadcast',
      'resumeBroadcast',
      'cancelBroadcast',
      'testBroadcast',
      'insightsUnmatched',
      'listSequences',
      'readSequence',
      'userSequence',
    ]);
    expect([ADMIN_ROUTES.exportUser.roles, ADMIN_ROUTES.forgetUser.roles]).toEqual([[], []]);
  });

  it('every route that changes something is audited', () => {
    for (const r of Object.values(ADMIN_ROUTES)) if (r.method !== 'GET') expect(r.audit).toBe(true);
  });
});
