'use strict';
// Helpers for the unit tests (kept out of test/, where `node --test` would run them as a
// test file): drive the sans-IO core with the protocol's JSON, as the Rust reference's
// unit tests (`client/reference/tests`) drive `ReferenceSdk`.

const { SdkCore } = require('../src/core');

const iosDebug = (over = {}) => ({
  device_id: 'phone',
  platform: 'ios',
  brand: 'google',
  build: 'debug',
  heartbeat_interval_ms: 10000,
  pong_timeout_ms: 5000,
  login_timeout_ms: 15000,
  reconnect_backoff_ms: [500, 1000, 2000, 4000, 8000],
  sync_page: 50,
  ...over,
});

function drain(sdk) {
  const out = [];
  for (let o = sdk.pollOutput(); o !== null; o = sdk.pollOutput()) out.push(o);
  return out;
}
const feed = (sdk, now, input) => {
  sdk.handle(now, input);
  return drain(sdk);
};
const app = (sdk, now, call) => feed(sdk, now, { input: 'app', call });
const server = (sdk, now, frame) => feed(sdk, now, { input: 'frame', frame });
const tick = (sdk, now) => feed(sdk, now, { input: 'tick' });
const ev = (event) => ({ output: 'event', event });
const out = (frame) => ({ output: 'send', frame });
const state = (s, cause) => ev({ event: 'connection_state_changed', state: s, cause });
const conv = () => ({ type: 'peer', a: 'alice', b: 'bob' });
const msg = (id, seq) => ({ id, conv: conv(), seq, from: 'bob', body: { type: 'text', text: `m${id}` }, sent_at: id });
const received = (m, via) => ev({ event: 'message_received', user: 'alice', message: m, via });
const loginCall = () => ({ do: 'login', user: 'alice', token: 'tok' });
const text = (to, t, extra = {}) => ({ do: 'send', to, text: t, ...extra });

// Logs "alice" in at time 0; the initial sync (req 2) is left outstanding.
function loggedIn(config = iosDebug(), persisted = null) {
  const sdk = new SdkCore(config, persisted);
  app(sdk, 0, loginCall());
  feed(sdk, 0, { input: 'connected' });
  const o = server(sdk, 0, { type: 'login_ok', req: 1 });
  const last = o[o.length - 1];
  if (!(last.output === 'send' && last.frame.type === 'sync' && last.frame.req === 2)) throw new Error(JSON.stringify(o));
  return sdk;
}

// alice taps Log out and the app dies before anything reaches the server.
function killedRightAfterLogout() {
  const sdk = loggedIn();
  app(sdk, 1, { do: 'logout' });
  return sdk.persisted();
}

module.exports = { SdkCore, iosDebug, drain, feed, app, server, tick, ev, out, state, conv, msg, received, loginCall, text, loggedIn, killedRightAfterLogout };
