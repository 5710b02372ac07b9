'use strict';
// The ZPNs half of the core: environments, PushIDs and their binding, VoIP, unregister,
// and notification callbacks. Ported from `reference/src/client/reference/tests/zpns.rs`.

const test = require('node:test');
const assert = require('node:assert/strict');
const { SdkCore, iosDebug, feed, app, server, ev, out, loginCall, loggedIn } = require('../tools/core-driver');

const register = (extra = {}) => ({ do: 'register_push', ios_environment: 'automatic', ...extra });
const android = (over = {}) => iosDebug({ platform: 'android', build: 'release', ...over });
const registered = (pushId) => ev({ event: 'registered', error_code: 0, push_id: pushId, message: '' });
const zim = (id, to) => ({ message_id: id, to, from: 'bob', conv: { type: 'peer', a: 'alice', b: 'bob' } });
const apns = (id, to) => ({ input: 'notification', vendor: 'apns', payload: { aps: { alert: { title: 'T', body: 'B' } }, zim: zim(id, to), payload: 'p' } });
const note = (id, to, payload = 'p') => ({ title: 'T', content: 'B', payload, message_id: id, to_user: to });

test('iOS environments: automatic follows the build, an explicit one wins', () => {
  for (const [config, env, expected] of [
    [iosDebug(), 'automatic', 'development'],
    [iosDebug({ build: 'release' }), 'automatic', 'production'],
    [iosDebug(), 'production', 'production'],
    [iosDebug({ build: 'release' }), 'development', 'development'],
  ]) {
    const sdk = new SdkCore(config, null);
    app(sdk, 0, { do: 'enable_debug', debug: true });
    assert.deepEqual(app(sdk, 0, register({ ios_environment: env })), [{ output: 'request_vendor_token', vendor: 'apns' }]);
    assert.deepEqual(feed(sdk, 0, { input: 'vendor_token', vendor: 'apns', token: 't' }), [registered(`zp1.apns.${expected}.t`)]);
  }
});

test('Android: no enabled vendor fails without asking the OS; enableDebug labels development', () => {
  const none = new SdkCore(android(), null);
  assert.deepEqual(app(none, 0, register()), [
    ev({ event: 'registered', error_code: 1, push_id: null, message: 'no push vendor enabled for this platform (see setPushConfig)' }),
  ]);
  const sdk = new SdkCore(android({ build: 'debug' }), null);
  app(sdk, 0, { do: 'set_push_config', config: { enable_fcm_push: true } });
  app(sdk, 0, register());
  assert.deepEqual(feed(sdk, 0, { input: 'vendor_token', vendor: 'fcm', token: 'a:b' }), [registered('zp1.fcm.production.a:b')]);
  app(sdk, 0, { do: 'enable_debug', debug: true });
  app(sdk, 0, register());
  assert.deepEqual(feed(sdk, 0, { input: 'vendor_token', vendor: 'fcm', token: 'a:b' }), [registered('zp1.fcm.development.a:b')]);
  assert.deepEqual(feed(sdk, 0, { input: 'vendor_token', vendor: 'hms', token: 'x' }), [], 'a channel it did not pick');
});

test('a token arriving after login is bound with bind_push; one sent with login is not bound twice', () => {
  const sdk = loggedIn();
  app(sdk, 1, register());
  assert.deepEqual(feed(sdk, 2, { input: 'vendor_token', vendor: 'apns', token: 't1' }), [
    registered('zp1.apns.development.t1'),
    out({ type: 'bind_push', req: 3, push_id: 'zp1.apns.development.t1' }),
  ]);
  const again = new SdkCore(iosDebug(), null);
  app(again, 0, register());
  feed(again, 0, { input: 'vendor_token', vendor: 'apns', token: 't1' });
  app(again, 0, loginCall());
  feed(again, 1, { input: 'connected' });
  const o = server(again, 2, { type: 'login_ok', req: 1 });
  assert.ok(!o.some((x) => x.output === 'send' && x.frame.type === 'bind_push'));
});

test('unregisterPush deletes the token and unbinds now, or in the next session', () => {
  const sdk = loggedIn();
  app(sdk, 1, register());
  feed(sdk, 1, { input: 'vendor_token', vendor: 'apns', token: 't1' });
  assert.deepEqual(app(sdk, 2, { do: 'unregister_push' }), [{ output: 'delete_vendor_token', vendor: 'apns' }, out({ type: 'unbind_push', req: 4 })]);
  const offline = new SdkCore(iosDebug(), null);
  app(offline, 0, register());
  feed(offline, 0, { input: 'vendor_token', vendor: 'apns', token: 't1' });
  assert.deepEqual(app(offline, 1, { do: 'unregister_push' }), [{ output: 'delete_vendor_token', vendor: 'apns' }]);
  app(offline, 2, loginCall());
  feed(offline, 2, { input: 'connected' });
  const o = server(offline, 3, { type: 'login_ok', req: 1 });
  assert.ok(o.some((x) => x.output === 'send' && x.frame.type === 'unbind_push' && x.frame.req === 2));
  assert.ok(!o.some((x) => x.output === 'send' && x.frame.type === 'bind_push'));
});

test('iOS VoIP: both tokens asked for, the VoIP PushID bound after login_ok, rotations bound once', () => {
  const sdk = new SdkCore(iosDebug(), null);
  assert.deepEqual(app(sdk, 0, register({ enable_ios_voip: true })), [{ output: 'request_vendor_token', vendor: 'apns' }, { output: 'request_voip_token' }]);
  feed(sdk, 0, { input: 'vendor_token', vendor: 'apns', token: 't1' });
  assert.deepEqual(feed(sdk, 0, { input: 'voip_token', token: 'v1' }), [registered('zp1.apns.voip.development.v1')]);
  app(sdk, 0, loginCall());
  assert.equal(feed(sdk, 1, { input: 'connected' })[0].frame.push_id, 'zp1.apns.development.t1');
  const binds = server(sdk, 2, { type: 'login_ok', req: 1 }).filter((x) => x.output === 'send' && x.frame.type === 'bind_push');
  assert.deepEqual(binds, [out({ type: 'bind_push', req: 2, push_id: 'zp1.apns.voip.development.v1' })]);
  assert.ok(feed(sdk, 3, { input: 'voip_token', token: 'v2' }).some((x) => x.output === 'send' && x.frame.req === 4));
  assert.ok(!feed(sdk, 4, { input: 'voip_token', token: 'v2' }).some((x) => x.output === 'send'));
  const failed = new SdkCore(iosDebug(), null);
  app(failed, 0, register({ enable_ios_voip: true }));
  assert.deepEqual(feed(failed, 0, { input: 'voip_token_failed', reason: 'no PushKit' }), [
    ev({ event: 'registered', error_code: 1, push_id: null, message: 'no VoIP token: no PushKit' }),
  ]);
});

test('a notification reaches the logged-in user once, and nobody else', () => {
  const sdk = loggedIn();
  assert.deepEqual(feed(sdk, 1, apns(7, 'alice')), [ev({ event: 'notification_arrived', notification: note(7, 'alice') })]);
  assert.deepEqual(feed(sdk, 2, apns(7, 'alice')), [], 'a redelivery raises nothing');
  assert.deepEqual(feed(sdk, 3, apns(8, 'carol')), [], "another user's");
  assert.deepEqual(feed(new SdkCore(iosDebug(), null), 0, apns(9, 'alice')), [], 'nobody logged in');
});

test('a tap raises notification_clicked, vivo without the payload', () => {
  const sdk = loggedIn();
  const tap = { ...apns(7, 'alice'), input: 'notification_tapped' };
  assert.deepEqual(feed(sdk, 1, tap), [ev({ event: 'notification_clicked', notification: note(7, 'alice') })]);
  const vivo = loggedIn(android());
  const payload = { title: 'T', content: 'B', clientCustomMap: { payload: 'p', zim: JSON.stringify(zim(7, 'alice')) } };
  assert.deepEqual(feed(vivo, 1, { input: 'notification_tapped', vendor: 'vivo', payload }), [
    ev({ event: 'notification_clicked', notification: note(7, 'alice', '') }),
  ]);
  assert.deepEqual(feed(vivo, 2, { input: 'notification', vendor: 'vivo', payload }), [], 'vivo hands nothing over');
});
