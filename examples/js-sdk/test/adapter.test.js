'use strict';
// The adapter as the harness runs it (a subprocess speaking JSON lines), and the public
// API as an RN app uses it (promises and callbacks).

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const sdk = require('../src');

const { iosDebug } = require('../tools/core-driver');

const CONFIG = iosDebug({ device_id: 'alice-phone' });

function run(script, lines) {
  const input = lines.map((l) => `${JSON.stringify(l)}\n`).join('');
  const r = spawnSync(process.execPath, [script], { input, encoding: 'utf8', env: { ...process.env, ZIMSIM_DEVICE: 'alice-phone', ZIMSIM_PROTOCOL: '1' } });
  return { ...r, answers: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

test('the adapter answers one line per line and exits at end of input', () => {
  const r = run(path.join(__dirname, '../bin/zimsim-sdk.js'), [
    { type: 'launch', protocol: 1, config: CONFIG, persisted: null },
    { type: 'input', now: 100, input: { input: 'app', call: { do: 'register_push', ios_environment: 'automatic' } } },
    { type: 'input', now: 100, input: { input: 'app', call: { do: 'login', user: 'alice', token: '04AAAA' } } },
    { type: 'input', now: 112, input: { input: 'vendor_token', vendor: 'apns', token: '9f3c' } },
    { type: 'input', now: 130, input: { input: 'connected' } },
    { type: 'persist' },
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.answers.map((a) => a.type), ['ready', 'outputs', 'outputs', 'outputs', 'outputs', 'persisted']);
  assert.equal(r.answers[0].protocol, 1);
  assert.deepEqual(r.answers[1].outputs, [{ output: 'request_vendor_token', vendor: 'apns' }]);
  assert.equal(r.answers[2].timeout, 15100);
  assert.deepEqual(r.answers[4], {
    type: 'outputs',
    outputs: [{ output: 'send', frame: { type: 'login', req: 1, user_id: 'alice', token: '04AAAA', device_id: 'alice-phone', platform: 'ios', push_id: 'zp1.apns.development.9f3c' } }],
    timeout: 5130,
  });
  assert.deepEqual(r.answers[5].data, { users: {}, last_login: 'alice' });
});

test('the broken copies speak the same protocol', () => {
  for (const name of ['no-unbind-on-logout.js', 'debug-push-on-release.js']) {
    const r = run(path.join(__dirname, '../broken', name), [{ type: 'launch', protocol: 1, config: CONFIG, persisted: null }, { type: 'persist' }]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.answers.map((a) => a.type), ['ready', 'persisted']);
    assert.match(r.answers[0].name, /broken/);
  }
});

test('the RN-shaped API: promises settle and callbacks fire in order', async () => {
  const rt = sdk.launch(CONFIG, null);
  const sent = [];
  rt.transport = (o) => sent.push(o);
  const zpns = sdk.ZPNs.getInstance();
  const zim = sdk.ZIM.create({ appID: 1, appSign: 'x' });
  const seen = [];
  zpns.on('registered', (m) => seen.push(['registered', m.pushID]));
  zim.on('connectionStateChanged', (_, d) => seen.push(['state', d.state, d.event]));
  zim.on('peerMessageReceived', (_, d) => seen.push(['message', d.messageList[0].message, d.info.isOfflineMessage]));

  zpns.registerPush({ iOSEnvironment: sdk.ZPNsIOSEnvironment.Production });
  rt.input(5, { input: 'vendor_token', vendor: 'apns', token: 'abc' });
  const login = zim.login('alice', { userName: 'Alice', token: 'tok' });
  rt.input(10, { input: 'connected' });
  rt.input(20, { input: 'frame', frame: { type: 'login_ok', req: 1 } });
  assert.deepEqual(await login, { userID: 'alice' });
  rt.input(30, { input: 'frame', frame: { type: 'deliver', message: { id: 3, conv: { type: 'peer', a: 'alice', b: 'bob' }, seq: 1, from: 'bob', body: { type: 'text', text: 'hi' }, sent_at: 25 } } });

  const send = zim.sendMessage({ type: sdk.ZIMMessageType.Text, message: 'yo' }, 'bob', sdk.ZIMConversationType.Peer, {
    priority: sdk.ZIMMessagePriority.High,
    pushConfig: { title: 't', content: 'c', payload: 'p', enableBadge: true, badgeIncrement: 1 },
  });
  const frame = sent[sent.length - 1].frame;
  assert.deepEqual(frame, {
    type: 'send',
    req: 3,
    to: 'bob',
    conv_type: 'peer',
    body: { type: 'text', text: 'yo' },
    priority: 3,
    push: { title: 't', content: 'c', payload: 'p', enable_badge: true, badge_increment: 1 },
  });
  const message = { id: 4, conv: { type: 'peer', a: 'alice', b: 'bob' }, seq: 2, from: 'alice', body: { type: 'text', text: 'yo' }, sent_at: 40 };
  rt.input(40, { input: 'frame', frame: { type: 'send_ok', req: 3, message } });
  const result = await send;
  assert.equal(result.message.conversationID, 'bob');
  assert.equal(result.message.messageID, 4);

  const refused = zim.sendMessage({ type: sdk.ZIMMessageType.Text, message: 'x' }, 'alice');
  await assert.rejects(refused, (e) => e.code === 6000001);

  assert.deepEqual(seen, [
    ['registered', 'zp1.apns.production.abc'],
    ['state', sdk.ZIMConnectionState.Connecting, sdk.ZIMConnectionEvent.ActiveLogin],
    ['state', sdk.ZIMConnectionState.Connected, sdk.ZIMConnectionEvent.Success],
    ['message', 'hi', false],
  ]);
});
