'use strict';
// The vendor payload decoders and the PushID, ported from the Rust decoders' unit tests
// (`push_services/<vendor>/decode.rs`, `pushid.rs`).

const test = require('node:test');
const assert = require('node:assert/strict');
const { decode, arrival, clickCarriesPayload, isFcmData } = require('../src/decode');
const { alertPushId, voipPushId } = require('../src/pushid');
const { channel } = require('../src/zpns');

const zimStr = (id, to) => JSON.stringify({ message_id: id, to, from: 'alice', conv: { type: 'peer', a: 'alice', b: 'bob' } });
const n = (title, content, payload, id, to, badge) => {
  const x = { title, content, payload, message_id: id, to_user: to };
  if (badge !== undefined) x.badge = badge;
  return x;
};

test('APNs: alert dictionary, badge, top-level payload and zim', () => {
  const p = {
    aps: { alert: { title: 'New message', body: 'hi' }, badge: 3 },
    zim: { message_id: 7, to: 'alice', from: 'bob', conv: { type: 'peer', a: 'alice', b: 'bob' } },
    payload: 'p7',
  };
  assert.deepEqual(decode('apns', p), n('New message', 'hi', 'p7', 7, 'alice', 3));
  assert.deepEqual(decode('apns', { aps: { alert: 'hello' } }), n('', 'hello', '', null, null));
  assert.equal(decode('apns', { notification: {} }), null);
});

test('FCM: notification message and data message', () => {
  const m = { token: 't', notification: { title: 'T', body: 'B' }, data: { payload: 'p', zim: zimStr(12, 'bob') } };
  assert.deepEqual(decode('fcm', m), n('T', 'B', 'p', 12, 'bob'));
  const d = { data: { title: 'T', body: 'B', payload: 'p', badge: '3', zim: zimStr(7, 'bob') } };
  assert.ok(isFcmData(d));
  assert.deepEqual(decode('fcm', d), n('T', 'B', 'p', 7, 'bob', 3));
  assert.ok(!isFcmData({ notification: {}, data: { title: 'T' } }));
  assert.ok(!isFcmData({ android: { notification: { tag: '1' } }, data: {} }));
  assert.deepEqual(decode('fcm', { notification: { title: 'x' } }), n('x', '', '', null, null));
  assert.equal(decode('fcm', { aps: {} }), null);
  const counted = { notification: { title: 'T', body: 'B' }, android: { notification: { notification_count: 5 } }, data: {} };
  assert.equal(decode('fcm', counted).badge, 5);
});

test('HMS: android.notification, the data string, set_num', () => {
  const data = JSON.stringify({ payload: 'p', zim: JSON.parse(zimStr(12, 'bob')) });
  const m = { data, android: { notification: { title: 'T', body: 'B', badge: { set_num: 3 } } } };
  assert.deepEqual(decode('hms', m), n('T', 'B', 'p', 12, 'bob', 3));
  const m2 = { notification: { title: 'T', body: 'B' }, data: '{"payload":"outer"}', android: { data: '{"payload":"inner"}' } };
  assert.deepEqual(decode('hms', m2), n('T', 'B', 'inner', null, null));
  assert.equal(decode('hms', { aps: {} }), null);
  assert.equal(decode('hms', { data: { payload: 'an FCM map' } }), null);
});

test('Mi: title, description, payload, extra', () => {
  const m = { title: 'T', description: 'D', payload: 'p', pass_through: 0, extra: { zim: zimStr(12, 'bob'), badge: '4' } };
  assert.deepEqual(decode('mi', m), n('T', 'D', 'p', 12, 'bob', 4));
  assert.deepEqual(decode('mi', { pass_through: 1, payload: 'p' }), n('', '', 'p', null, null));
  assert.equal(decode('mi', { aps: {} }), null);
});

test('OPPO: title, content, action_parameters', () => {
  const params = JSON.stringify({ payload: 'p', zim: JSON.parse(zimStr(9, 'bob')) });
  assert.deepEqual(decode('oppo', { title: 'T', content: 'C', action_parameters: params }), n('T', 'C', 'p', 9, 'bob'));
  assert.deepEqual(decode('oppo', { title: 'T', content: 'C', action_parameters: 'not json' }), n('T', 'C', '', null, null));
  assert.equal(decode('oppo', { aps: { alert: 'x' } }), null);
});

test('vivo: title, content, clientCustomMap', () => {
  const m = { title: 'T', content: 'C', skipType: 1, clientCustomMap: { payload: 'p', zim: zimStr(5, 'bob') } };
  assert.deepEqual(decode('vivo', m), n('T', 'C', 'p', 5, 'bob'));
  assert.equal(decode('vivo', { title: 'T', content: 'C', clientCustomMap: { zim: { message_id: 5 } } }).message_id, null);
  assert.equal(decode('vivo', { aps: {} }), null);
});

test('which callback each vendor raises, and whose click carries the payload', () => {
  assert.deepEqual(['apns', 'fcm', 'hms', 'mi', 'oppo', 'vivo'].map(arrival), [
    'notification_arrived',
    'through_message_received',
    null,
    'notification_arrived',
    null,
    null,
  ]);
  assert.ok(clickCarriesPayload('oppo') && !clickCarriesPayload('vivo'));
});

test('PushIDs keep dotted tokens whole and mark VoIP after the vendor', () => {
  assert.equal(alertPushId('fcm', 'production', 'abc:APA91b.x.y'), 'zp1.fcm.production.abc:APA91b.x.y');
  assert.equal(voipPushId('development', 'ab12'), 'zp1.apns.voip.development.ab12');
});

test('the Android channel: the maker first when enabled, else FCM where Google services exist', () => {
  const all = { enable_fcm_push: true, enable_hw_push: true, enable_mi_push: true, enable_oppo_push: true, enable_vivo_push: true };
  assert.equal(channel(all, 'android', 'huawei'), 'hms');
  assert.equal(channel({ enable_fcm_push: true }, 'android', 'huawei'), null);
  assert.equal(channel({ enable_fcm_push: true }, 'android', 'xiaomi'), 'fcm');
  assert.equal(channel({}, 'android', 'google'), null);
  assert.equal(channel({}, 'ios', 'google'), 'apns');
  assert.equal(channel({ enable_fcm_push: true }, 'web', 'google'), 'fcm');
});
