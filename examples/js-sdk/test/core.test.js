'use strict';
// Unit tests of the sans-IO core, ported from the Rust reference's own unit tests
// (`reference/src/client/reference/tests/*.rs`), for the paths the recorded conformance
// transcripts do not reach: failures, limits, timeouts, queued calls, kills mid-logout.

const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('../tools/core-driver');
const { SdkCore, iosDebug, drain, feed, app, server, tick, ev, out, state, msg, received, loginCall, text, loggedIn } = h;

const isEvent = (o, name) => o.output === 'event' && o.event.event === name;

test('login connects, sends login once connected, and syncs after login_ok', () => {
  const sdk = new SdkCore(iosDebug(), null);
  assert.deepEqual(app(sdk, 0, loginCall()), [state('connecting', 'active_login'), { output: 'connect' }]);
  assert.deepEqual(feed(sdk, 10, { input: 'connected' }), [
    out({ type: 'login', req: 1, user_id: 'alice', token: 'tok', device_id: 'phone', platform: 'ios' }),
  ]);
  assert.deepEqual(server(sdk, 20, { type: 'login_ok', req: 1 }), [
    state('connected', 'success'),
    ev({ event: 'logged_in', user: 'alice' }),
    out({ type: 'sync', req: 2, cursors: [], limit: 50 }),
  ]);
});

test('a failed login closes and reports the error code', () => {
  const sdk = new SdkCore(iosDebug(), null);
  app(sdk, 0, loginCall());
  feed(sdk, 0, { input: 'connected' });
  assert.deepEqual(server(sdk, 1, { type: 'error', req: 1, code: 6000106, message: 'expired' }), [
    { output: 'close' },
    ev({ event: 'login_failed', user: 'alice', code: 6000106, message: 'expired' }),
    state('disconnected', 'token_expired'),
  ]);
  assert.equal(sdk.pollTimeout(), null);
});

test('a first login that gets no session in time fails with login_timeout', () => {
  const sdk = new SdkCore(iosDebug({ login_timeout_ms: 3000 }), null);
  app(sdk, 0, loginCall());
  feed(sdk, 100, { input: 'disconnected' });
  assert.equal(sdk.pollTimeout(), 600);
  tick(sdk, 600);
  feed(sdk, 700, { input: 'disconnected' });
  tick(sdk, 1700);
  assert.deepEqual(tick(sdk, 3000), [
    ev({ event: 'login_failed', user: 'alice', code: 6000104, message: 'no session within the login timeout' }),
    state('disconnected', 'login_timeout'),
  ]);
  assert.equal(sdk.pollTimeout(), null);
  assert.deepEqual(feed(sdk, 3100, { input: 'connected' }), [{ output: 'close' }]);
});

test('heartbeats go out every interval and a missing pong closes the link', () => {
  const sdk = loggedIn();
  assert.equal(sdk.pollTimeout(), 10000);
  assert.deepEqual(tick(sdk, 9999), []);
  assert.deepEqual(tick(sdk, 10000), [out({ type: 'heartbeat' })]);
  assert.equal(sdk.pollTimeout(), 15000);
  assert.deepEqual(server(sdk, 10050, { type: 'pong' }), []);
  assert.equal(sdk.pollTimeout(), 20000);
  tick(sdk, 20000);
  assert.deepEqual(tick(sdk, 25000), [{ output: 'close' }, state('reconnecting', 'login_interrupted')]);
  assert.equal(sdk.pollTimeout(), 25500);
});

test('the wait for an answer doubles up to four times the pong timeout', () => {
  const sdk = loggedIn();
  tick(sdk, 10000);
  const waits = [];
  let now = 10000;
  for (let i = 0; i < 5; i++) {
    const deadline = sdk.pollTimeout();
    waits.push(deadline - now);
    tick(sdk, deadline);
    now = sdk.pollTimeout();
    tick(sdk, now);
    feed(sdk, now, { input: 'connected' });
  }
  assert.deepEqual(waits, [5000, 10000, 20000, 20000, 20000]);
});

test('a disconnect reports reconnecting, backs off, and a reconnect shows only as a state change', () => {
  const sdk = loggedIn();
  assert.deepEqual(feed(sdk, 1000, { input: 'disconnected' }), [state('reconnecting', 'login_interrupted')]);
  assert.equal(sdk.pollTimeout(), 1500);
  assert.deepEqual(tick(sdk, 1500), [{ output: 'connect' }]);
  feed(sdk, 1600, { input: 'disconnected' });
  assert.equal(sdk.pollTimeout(), 2600);
  tick(sdk, 2600);
  feed(sdk, 2700, { input: 'connected' });
  assert.deepEqual(server(sdk, 2800, { type: 'login_ok', req: 3 }), [
    state('connected', 'success'),
    out({ type: 'sync', req: 4, cursors: [], limit: 50 }),
  ]);
});

test('a kicked-out SDK disconnects, does not reconnect, and refuses sends with 6000121', () => {
  const sdk = loggedIn();
  assert.deepEqual(server(sdk, 1, { type: 'kicked_out' }), [{ output: 'close' }, state('disconnected', 'kicked_out')]);
  assert.equal(sdk.pollTimeout(), null);
  const o = app(sdk, 3, text('bob', 'hi'));
  assert.equal(o.length, 1);
  assert.equal(o[0].event.event, 'send_failed');
  assert.equal(o[0].event.code, 6000121);
  assert.deepEqual(app(sdk, 4, { do: 'logout' }), [ev({ event: 'logged_out', user: 'alice' })]);
});

test('persisted data lets a relaunch skip known messages and sync from its cursor', () => {
  const first = loggedIn();
  server(first, 1, { type: 'sync_batch', req: 2, messages: [msg(1, 1), msg(2, 2)], more: false });
  const saved = first.persisted();
  const sdk = new SdkCore(iosDebug(), saved);
  assert.deepEqual(sdk.persisted(), saved, 'the store round-trips unchanged');
  app(sdk, 0, loginCall());
  feed(sdk, 0, { input: 'connected' });
  const o = server(sdk, 0, { type: 'login_ok', req: 1 });
  assert.deepEqual(o[o.length - 1], out({ type: 'sync', req: 2, cursors: [{ conv: h.conv(), seq: 2 }], limit: 50 }));
  assert.deepEqual(server(sdk, 1, { type: 'sync_batch', req: 2, messages: [msg(2, 2), msg(3, 3)], more: false }), [
    received(msg(3, 3), 'sync'),
    ev({ event: 'sync_completed', user: 'alice' }),
  ]);
  assert.deepEqual(server(sdk, 2, { type: 'deliver', message: msg(1, 1) }), [out({ type: 'ack', id: 1 })]);
});

test('a message beyond a gap does not move the cursor; sync restarts below the gap', () => {
  const sdk = loggedIn();
  server(sdk, 1, { type: 'deliver', message: msg(3, 3) });
  server(sdk, 2, { type: 'sync_batch', req: 2, messages: [msg(1, 1)], more: true });
  assert.deepEqual(sdk.persisted().users.alice.cursors, [[h.conv(), { contiguous: 1, ahead: [3] }]]);
});

test('a logout cut short by a kill is completed first thing on the next launch', () => {
  const sdk = new SdkCore(iosDebug(), h.killedRightAfterLogout());
  assert.deepEqual(drain(sdk), [{ output: 'connect' }]);
  const o = feed(sdk, 10, { input: 'connected' });
  assert.equal(o[0].frame.type, 'login');
  assert.equal(o[0].frame.push_id, undefined, 'a session only to log out binds nothing');
  assert.deepEqual(server(sdk, 11, { type: 'login_ok', req: 1 }), [out({ type: 'logout', req: 2 })]);
  assert.ok(server(sdk, 12, { type: 'logout_ok', req: 2 }).some((x) => isEvent(x, 'logged_out')));
  assert.deepEqual(drain(new SdkCore(iosDebug(), sdk.persisted())), []);
});

test('a login asked for during a pending logout starts once the logout is done', () => {
  const sdk = new SdkCore(iosDebug(), h.killedRightAfterLogout());
  drain(sdk);
  assert.deepEqual(app(sdk, 5, { do: 'login', user: 'carol', token: 'tok-c' }), []);
  feed(sdk, 10, { input: 'connected' });
  server(sdk, 11, { type: 'login_ok', req: 1 });
  const o = server(sdk, 12, { type: 'logout_ok', req: 2 });
  assert.deepEqual(o.slice(-2), [state('connecting', 'active_login'), { output: 'connect' }]);
  assert.equal(feed(sdk, 13, { input: 'connected' })[0].frame.user_id, 'carol');
});

test('a logout after a login queued behind a pending logout cancels that login', () => {
  const sdk = new SdkCore(iosDebug(), h.killedRightAfterLogout());
  drain(sdk);
  app(sdk, 5, { do: 'login', user: 'carol', token: 'tok-c' });
  assert.deepEqual(app(sdk, 6, { do: 'logout' }), [ev({ event: 'logged_out', user: 'carol' })]);
  feed(sdk, 10, { input: 'connected' });
  server(sdk, 11, { type: 'login_ok', req: 1 });
  const o = server(sdk, 12, { type: 'logout_ok', req: 2 });
  assert.ok(o.some((x) => isEvent(x, 'logged_out') && x.event.user === 'alice'));
  assert.ok(!o.some((x) => x.output === 'connect'));
});

test('a logout whose session the server refuses is reported as failed, not done', () => {
  const sdk = new SdkCore(iosDebug(), null);
  app(sdk, 0, loginCall());
  feed(sdk, 1, { input: 'connected' });
  feed(sdk, 2, { input: 'disconnected' });
  app(sdk, 3, { do: 'logout' });
  tick(sdk, 502);
  feed(sdk, 503, { input: 'connected' });
  const o = server(sdk, 504, { type: 'error', req: 2, code: 6000106, message: 'expired' });
  assert.ok(o.some((x) => isEvent(x, 'logout_failed') && x.event.code === 6000106));
  assert.ok(!o.some((x) => isEvent(x, 'logged_out')));
});

test('a logout when nobody ever logged in fails with 6000121', () => {
  const o = app(new SdkCore(iosDebug(), null), 0, { do: 'logout' });
  assert.deepEqual(o, [ev({ event: 'logout_failed', user: '', code: 6000121, message: 'nobody is logged in' })]);
});

test('nothing is surfaced while a logout is under way', () => {
  const sdk = new SdkCore(iosDebug(), h.killedRightAfterLogout());
  drain(sdk);
  feed(sdk, 10, { input: 'connected' });
  server(sdk, 11, { type: 'login_ok', req: 1 });
  assert.ok(!server(sdk, 12, { type: 'deliver', message: msg(5, 1) }).some((x) => isEvent(x, 'message_received')));
});

test('an expired token disconnects with token_expired, and a logout then goes to the server', () => {
  const sdk = loggedIn();
  assert.deepEqual(server(sdk, 100000, { type: 'token_expired' }), [{ output: 'close' }, state('disconnected', 'token_expired')]);
  assert.equal(sdk.pollTimeout(), null);
  assert.ok(app(sdk, 100010, { do: 'logout' }).some((x) => x.output === 'connect'));
});

test('a renewal goes to the server and its token is used by the next reconnect', () => {
  const sdk = loggedIn();
  assert.deepEqual(app(sdk, 10, { do: 'renew_token', token: 'fresh' }), [out({ type: 'renew_token', req: 3, token: 'fresh' })]);
  assert.deepEqual(server(sdk, 20, { type: 'renew_token_ok', req: 3 }), [ev({ event: 'token_renewed', code: 0, message: '' })]);
  feed(sdk, 30, { input: 'disconnected' });
  const at = sdk.pollTimeout();
  tick(sdk, at);
  assert.equal(feed(sdk, at, { input: 'connected' })[0].frame.token, 'fresh');
});

test('group calls go to the server and are answered once; refusals carry the code', () => {
  const sdk = loggedIn();
  assert.deepEqual(app(sdk, 10, { do: 'join_group', group_id: 'team' }), [out({ type: 'join_group', req: 3, group_id: 'team' })]);
  const ok = ev({ event: 'group_result', op: 'join', group_id: 'team', code: 0, message: '' });
  assert.deepEqual(server(sdk, 20, { type: 'group_ok', req: 3, group_id: 'team' }), [ok]);
  assert.deepEqual(server(sdk, 21, { type: 'group_ok', req: 3, group_id: 'team' }), []);
  app(sdk, 30, { do: 'create_group', name: 't', members: ['bob'] });
  assert.deepEqual(server(sdk, 31, { type: 'group_ok', req: 4, group_id: '#7' }), [
    ev({ event: 'group_result', op: 'create', group_id: '#7', code: 0, message: '' }),
  ]);
  app(sdk, 40, { do: 'dismiss_group', group_id: 'team' });
  assert.deepEqual(server(sdk, 41, { type: 'error', req: 5, code: 6000541, message: 'not the owner' }), [
    ev({ event: 'group_result', op: 'dismiss', group_id: 'team', code: 6000541, message: 'not the owner' }),
  ]);
});

test('calls made while reconnecting go out in order once the session is back', () => {
  const sdk = loggedIn();
  feed(sdk, 10, { input: 'disconnected' });
  assert.deepEqual(app(sdk, 20, { do: 'join_group', group_id: 'team' }), []);
  assert.deepEqual(app(sdk, 21, text('bob', 'hi')), []);
  const at = sdk.pollTimeout();
  tick(sdk, at);
  feed(sdk, at, { input: 'connected' });
  const frames = server(sdk, at + 5, { type: 'login_ok', req: 3 }).filter((x) => x.output === 'send').map((x) => x.frame.type);
  assert.deepEqual(frames, ['join_group', 'send', 'sync']);
});

test('an eleventh send within a second fails locally with 6000004', () => {
  const sdk = loggedIn();
  for (let i = 0; i < 10; i++) assert.equal(app(sdk, 100 + i * 10, text('bob', 'x'))[0].output, 'send');
  const o = app(sdk, 1099, text('bob', 'x'));
  assert.equal(o[0].event.code, 6000004);
  assert.equal(app(sdk, 1100, text('bob', 'x'))[0].output, 'send');
});

test('a message breaking a limit fails locally with 6000001 and the reference message', () => {
  const sdk = loggedIn();
  const cases = [
    [text('bob', 'x', { priority: 9 }), 'priority 9 is not 1 (low), 2 (medium) or 3 (high)'],
    [text('bob', 'x', { extended_data: 'e'.repeat(1025) }), 'extendedData is 1025 bytes; the limit is 1024'],
    [{ do: 'send', to: 'bob', body: { type: 'command', data: '' } }, 'command data is 0 bytes; it must be 1..=5120 bytes'],
    [text('#', 'x', { conv_type: 'group' }), 'groupID is empty'],
    [text('alice', 'note'), 'a message cannot be sent to yourself (toConversationID is your own userID)'],
    [text('b o', 'x'), "userID contains ' ', which ZIM does not allow"],
    [text('bob', ''), 'text is 0 bytes; it must be 1..=32768 bytes'],
    [text('bob', 'x', { push: { title: 't'.repeat(2049), content: '', payload: '' } }), 'push config title, content and payload are 2049 bytes together; the limit is 2048'],
  ];
  for (const [call, message] of cases) {
    assert.deepEqual(app(sdk, 10, call), [ev({ event: 'send_failed', to: call.to, code: 6000001, message })]);
  }
});

test('a command message is surfaced but moves no sync cursor', () => {
  const sdk = loggedIn();
  const command = { ...msg(9, 0), body: { type: 'command', data: 'typing' } };
  assert.ok(server(sdk, 10, { type: 'deliver', message: command }).some((x) => isEvent(x, 'message_received')));
  assert.deepEqual(sdk.persisted().users.alice.cursors, []);
});

test('sends in flight fail with 6000009 when the link drops', () => {
  const sdk = loggedIn();
  app(sdk, 1, text('bob', 'hi'));
  app(sdk, 2, { do: 'enter_room', room_id: 'lobby' });
  assert.deepEqual(feed(sdk, 3, { input: 'disconnected' }), [
    ev({ event: 'send_failed', to: 'bob', code: 6000009, message: 'the connection closed before the server answered' }),
    ev({ event: 'room_result', op: 'enter', room_id: 'lobby', code: 6000009, message: 'the connection closed before the server answered' }),
    state('reconnecting', 'login_interrupted'),
  ]);
});

test('a negative badge is refused locally with 6000001', () => {
  const sdk = loggedIn();
  assert.deepEqual(app(sdk, 1, { do: 'set_badge', badge: -1 }), [
    ev({ event: 'setting_result', op: 'badge', code: 6000001, message: 'badge -1 is negative' }),
  ]);
});
