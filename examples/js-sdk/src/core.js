'use strict';
// The SDK core, sans-IO (a port of `client/reference.rs`, the reference SDK). It owns the
// ZIM login state machine: login, reconnect with backoff, logout (durable until the server
// confirms it), heartbeats and reply timeouts, sync. The rest is split by concern, as in
// the Rust original, and mixed into the same class:
//
// - `local.js`: the local database that survives an app kill.
// - `requests.js`: sends, group, room and setting calls (checked, queued, answered once).
// - `zpns.js`: vendor, environment, PushID and notifications.
//
// The core never reads a clock or schedules anything: `handle(now, input)` takes an input
// (the JSON values of docs/sdk-adapter.md) at the harness's time, `pollOutput()` yields
// what it asks for, in order, and `pollTimeout()` says when it next wants a `tick`.

const { LocalStore } = require('./local');
const { ErrorCode } = require('./wire');
const requests = require('./requests');
const zpns = require('./zpns');

// The longest wait for an answer, as a multiple of `pong_timeout_ms` (reference policy:
// 5 s doubling to 20 s gets a login through a link of up to about 10 s each way).
const MAX_REPLY_TIMEOUT_FACTOR = 4;

// Where the ZIM login stands (the Rust `Zim` enum):
//   { kind: 'logged_out' }
//   { kind: 'connecting', user, token, loginReq, resumed, serverMayKnow }
//     getting a session; `resumed`: the app already saw this login succeed (a reconnect);
//     `serverMayKnow`: a login frame went out, so a logout must reach the server.
//   { kind: 'logged_in', user, token }
//   { kind: 'logging_out', user, token, req }
const LOGGED_OUT = Object.freeze({ kind: 'logged_out' });
const connecting = (user, token, resumed, serverMayKnow, loginReq = null) => ({
  kind: 'connecting',
  user,
  token,
  loginReq,
  resumed,
  serverMayKnow,
});

class SdkCore {
  // `config`: the install (CONFIG of docs/sdk-adapter.md); `persisted`: what the last run
  // of the app left (null on a fresh install).
  constructor(config, persisted) {
    this.config = { brand: 'google', ...config };
    this.store = LocalStore.load(persisted);
    this.zim = LOGGED_OUT;
    this.connected = false; // the transport is up
    this.queuedLogin = null; // {user, token}: a login asked for while a logout is under way
    this.lastUser = null; // {user, token}: whose login ended last without a logout
    this.loginDeadline = null; // the app's login call gives up then (first login only)
    this.reconnectAttempt = 0;
    this.reconnectAt = null;
    this.heartbeatAt = null;
    this.replyDeadline = null; // a pong or login answer is due then, or the link is dead
    this.replyTimeoutMs = this.config.pong_timeout_ms;
    this.syncReq = null;
    // Requests awaiting their answer, by req (JS Maps keep insertion order, and reqs only
    // grow, so iterating them is the reference's BTreeMap order).
    this.sends = new Map(); // req -> toConversationID
    this.requests = new Map(); // req -> {kind, op, id}
    this.renewals = new Map(); // req -> token
    this.recentSends = []; // accept times, for the 10-per-second limit
    this.outbox = []; // session calls made while reconnecting
    this.nextReq = 1;
    this.zpns = {};
    this.debug = false;
    this.iosEnvironment = 'automatic';
    this.pushId = null;
    this.serverPushId = null; // the PushID the server was last given in this session
    this.unbindPending = false;
    this.iosVoip = false;
    this.voipPushId = null;
    this.serverVoipPushId = null;
    this.outputs = [];
    // A logout the last run could not finish comes before anything else in this one.
    const p = this.store.pendingLogout;
    if (p) {
      this.zim = connecting(p.user, p.token, true, true);
      this.connect();
    }
  }

  // --- the sans-IO contract ------------------------------------------------------------

  handle(now, input) {
    switch (input.input) {
      case 'app':
        // A login asked for while a logout was under way, and now a logout: that login
        // never starts; the logout under way goes on (and reports itself when confirmed).
        if (input.call.do === 'logout' && this.queuedLogin) {
          const { user } = this.queuedLogin;
          this.queuedLogin = null;
          const p = this.store.pendingLogout;
          if (!p || p.user !== user) this.emit({ event: 'logged_out', user });
          return;
        }
        return this.onApp(now, input.call);
      case 'connected':
        return this.onConnected(now);
      case 'disconnected':
        return this.onDisconnected(now);
      case 'frame':
        return this.onFrame(now, input.frame);
      case 'vendor_token':
        return this.onVendorToken(input.vendor, input.token);
      case 'vendor_token_failed':
        return this.emit({ event: 'registered', error_code: 1, push_id: null, message: input.reason });
      case 'voip_token':
        return this.onVoipToken(input.token);
      case 'voip_token_failed':
        return this.emit({ event: 'registered', error_code: 1, push_id: null, message: `no VoIP token: ${input.reason}` });
      case 'notification':
        return this.onNotification(input.vendor, input.payload);
      case 'notification_tapped':
        return this.onNotificationTapped(input.vendor, input.payload);
      case 'tick':
        return this.onTick(now);
      default:
        throw new Error(`unknown input ${JSON.stringify(input.input)}`);
    }
  }

  pollOutput() {
    return this.outputs.shift() ?? null;
  }

  pollTimeout() {
    const due = [this.loginDeadline, this.reconnectAt, this.heartbeatAt, this.replyDeadline].filter((t) => t !== null);
    return due.length ? Math.min(...due) : null;
  }

  // The durable local data (every write to it counts as durable at once).
  persisted() {
    return this.store.toJSON();
  }

  // --- helpers -------------------------------------------------------------------------

  // Whether the server may still hold a binding of `user` from this install.
  serverHolds(user) {
    return this.store.lastLogin === user;
  }

  // True while the current session exists only to carry out a pending logout.
  loggingOut() {
    return this.store.pendingLogout !== null;
  }

  req() {
    return this.nextReq++;
  }

  emit(event) {
    this.outputs.push({ output: 'event', event });
  }

  send(frame) {
    this.outputs.push({ output: 'send', frame });
  }

  state(state, cause) {
    this.emit({ event: 'connection_state_changed', state, cause });
  }

  user() {
    return this.zim.kind === 'logged_out' ? null : this.zim.user;
  }

  // Forgets everything tied to the current connection; `close` also asks the host to
  // close it. Sends in flight on it fail: their outcome is unknown (a later sync shows).
  dropLink(close) {
    if (close && this.connected) this.outputs.push({ output: 'close' });
    this.connected = false;
    this.heartbeatAt = null;
    this.replyDeadline = null;
    this.syncReq = null;
    this.serverPushId = null;
    this.serverVoipPushId = null;
    this.failInFlight();
  }

  // Ends the login locally: no session, no timers, no pending logout.
  becomeLoggedOut() {
    this.dropLink(true);
    this.failOutbox();
    this.lastUser = this.zim.kind === 'logged_out' ? null : { user: this.zim.user, token: this.zim.token };
    this.zim = LOGGED_OUT;
    this.store.pendingLogout = null;
    this.loginDeadline = null;
    this.reconnectAt = null;
    this.reconnectAttempt = 0;
  }

  // A logout is over (done or given up on): a login the app asked for meanwhile starts.
  afterLogout(now) {
    this.lastUser = null;
    if (this.queuedLogin) {
      const { user, token } = this.queuedLogin;
      this.queuedLogin = null;
      this.onApp(now, { do: 'login', user, token });
    }
  }

  // --- app calls -----------------------------------------------------------------------

  onApp(now, call) {
    switch (call.do) {
      case 'set_push_config':
        this.zpns = { ...(call.config || {}) };
        return;
      case 'enable_debug':
        this.debug = !!call.debug;
        return;
      case 'register_push':
        return this.registerPush(call.ios_environment || 'automatic', !!call.enable_ios_voip);
      case 'unregister_push':
        return this.unregisterPush();
      case 'apply_notification_permission':
        this.outputs.push({ output: 'request_notification_permission' });
        return;
      case 'login':
        return this.onLogin(now, call.user, call.token ?? null);
      case 'renew_token':
        return this.onRenewToken(call.token ?? '');
      case 'logout':
        return this.onLogout(now);
      case 'send':
      case 'create_group':
      case 'join_group':
      case 'leave_group':
      case 'dismiss_group':
      case 'enter_room':
      case 'leave_room':
      case 'set_notification_status':
      case 'set_badge':
      case 'update_offline_push_rule':
        return this.onSessionCall(now, call);
      default:
        throw new Error(`unknown app call ${JSON.stringify(call.do)}`);
    }
  }

  onLogin(now, user, token) {
    if (this.zim.kind === 'logged_out') {
      // No token: the server refuses the login (6000103), as ZIM would.
      this.lastUser = null;
      this.zim = connecting(user, token ?? '', false, false);
      this.loginDeadline = now + this.config.login_timeout_ms;
      this.state('connecting', 'active_login');
      this.connect();
    } else if (this.loggingOut()) {
      // A logout is still reaching the server: this login follows it.
      this.queuedLogin = { user, token: token ?? '' };
    } else {
      const message = 'already logged in; call logout before switching users';
      this.emit({ event: 'login_failed', user, code: ErrorCode.UserHasAlreadyLogged, message });
    }
  }

  onRenewToken(token) {
    const z = this.zim;
    if (z.kind === 'logged_in' && this.connected) {
      const req = this.req();
      this.renewals.set(req, token);
      this.send({ type: 'renew_token', req, token });
    } else if (z.kind === 'connecting' && z.resumed) {
      // Reconnecting: the next login carries the new token; the server judges it there.
      z.token = token;
      this.emit({ event: 'token_renewed', code: 0, message: '' });
    } else {
      this.emit({ event: 'token_renewed', code: ErrorCode.UserIsNotLogged, message: 'not logged in' });
    }
  }

  onLogout(now) {
    const z = this.zim;
    switch (z.kind) {
      case 'logged_in':
        return this.logoutLoggedIn(now, z.user, z.token);
      case 'connecting':
        if (!z.serverMayKnow && !this.serverHolds(z.user)) {
          // Nothing of this login reached the server, and the install's last session
          // there was someone else's (or none): there is nothing to undo.
          this.becomeLoggedOut();
          this.emit({ event: 'logged_out', user: z.user });
          this.state('disconnected', 'success');
          this.afterLogout(now);
        } else {
          this.store.pendingLogout = { user: z.user, token: z.token };
          this.loginDeadline = null; // the server must hear it, however long that takes
        }
        return;
      case 'logged_out': {
        const last = this.lastUser;
        if (last && this.serverHolds(last.user)) {
          // The login failed, but an earlier session may have left a binding: a session
          // must carry the logout.
          this.store.pendingLogout = { user: last.user, token: last.token };
          this.zim = connecting(last.user, last.token, true, true);
          this.connect();
        } else if (last) {
          // Kicked out, or a login that never reached the server: nothing to undo.
          this.emit({ event: 'logged_out', user: last.user });
          this.afterLogout(now);
        } else {
          this.emit({ event: 'logout_failed', user: '', code: ErrorCode.UserIsNotLogged, message: 'nobody is logged in' });
        }
        return;
      }
      default:
        return; // logging out: its answer is on the way
    }
  }

  // A logout with the session up: on disk first (if the app dies before the server
  // answers, the next launch finishes it), then to the server. `logged_out` waits for
  // `logout_ok`, which the server sends only once the PushID binding is gone.
  logoutLoggedIn(now, user, token) {
    this.store.pendingLogout = { user, token };
    const req = this.req();
    this.send({ type: 'logout', req });
    this.zim = { kind: 'logging_out', user, token, req };
  }

  // --- the connection ------------------------------------------------------------------

  connect() {
    this.reconnectAt = null;
    if (!this.connected) this.outputs.push({ output: 'connect' });
  }

  onConnected(now) {
    this.connected = true;
    this.reconnectAt = null;
    const z = this.zim;
    if (z.kind !== 'connecting') return this.dropLink(true); // nothing to do on it any more
    const req = this.req();
    // A login that only exists to log out must not bind the PushID again.
    const pushId = this.loggingOut() ? null : this.pushId;
    this.serverPushId = pushId;
    // On disk before it leaves: the server may accept it even if the app dies first.
    this.store.lastLogin = z.user;
    const frame = {
      type: 'login',
      req,
      user_id: z.user,
      token: z.token,
      device_id: this.config.device_id,
      platform: this.config.platform,
    };
    if (pushId !== null) frame.push_id = pushId;
    this.send(frame);
    this.zim = connecting(z.user, z.token, z.resumed, true, req);
    this.replyDeadline = now + this.replyTimeoutMs;
  }

  onDisconnected(now) {
    this.dropLink(false);
    const z = this.zim;
    switch (z.kind) {
      case 'logged_in':
        this.zim = connecting(z.user, z.token, true, true);
        this.state('reconnecting', 'login_interrupted');
        return this.scheduleReconnect(now);
      case 'logging_out':
        // The logout may not have reached the server: redo it on a new session (it is
        // still pending on disk).
        this.zim = connecting(z.user, z.token, true, true);
        return this.scheduleReconnect(now);
      case 'connecting':
        this.zim = connecting(z.user, z.token, z.resumed, z.serverMayKnow);
        return this.scheduleReconnect(now);
      default:
        return undefined;
    }
  }

  scheduleReconnect(now) {
    const steps = this.config.reconnect_backoff_ms || [];
    const delay = steps[this.reconnectAttempt] ?? steps[steps.length - 1] ?? 1000;
    this.reconnectAttempt += 1;
    this.reconnectAt = now + delay;
  }

  onLoginOk(now, req) {
    const z = this.zim;
    if (z.kind !== 'connecting' || z.loginReq === null || z.loginReq !== req) return;
    this.reconnectAttempt = 0;
    this.loginDeadline = null;
    this.replyDeadline = null;
    this.replyTimeoutMs = this.config.pong_timeout_ms;
    this.heartbeatAt = now + this.config.heartbeat_interval_ms;
    this.zim = { kind: 'logged_in', user: z.user, token: z.token };
    if (this.loggingOut()) return this.onApp(now, { do: 'logout' });
    this.state('connected', 'success');
    if (!z.resumed) this.emit({ event: 'logged_in', user: z.user });
    // What the app sent while reconnecting goes out now, in order.
    while (this.outbox.length) this.dispatch(this.outbox.shift());
    // The token may have arrived after the login frame left: bind it now.
    if (this.pushId !== null && this.pushId !== this.serverPushId) this.bindPush();
    if (this.voipPushId !== null && this.voipPushId !== this.serverVoipPushId) this.bindVoipPush();
    if (this.unbindPending) {
      this.unbindPending = false;
      this.unbindPush();
    }
    return this.startSync(z.user);
  }

  // --- server frames -------------------------------------------------------------------

  onFrame(now, frame) {
    switch (frame.type) {
      case 'login_ok':
        return this.onLoginOk(now, frame.req);
      case 'logout_ok': {
        const z = this.zim;
        if (z.kind === 'logging_out' && z.req === frame.req) {
          this.store.lastLogin = null; // the server unbound it
          this.becomeLoggedOut();
          this.emit({ event: 'logged_out', user: z.user });
          this.state('disconnected', 'success');
          this.afterLogout(now);
        }
        return undefined;
      }
      case 'pong':
        this.replyDeadline = null;
        this.replyTimeoutMs = this.config.pong_timeout_ms;
        return undefined;
      case 'bind_ok':
        return undefined;
      case 'send_ok':
        if (this.sends.delete(frame.req)) {
          const user = this.user();
          if (user !== null) this.store.user(user).admit(frame.message);
          this.emit({ event: 'message_sent', message: frame.message });
        }
        return undefined;
      case 'deliver':
        this.send({ type: 'ack', id: frame.message.id });
        return this.surface(frame.message, 'online');
      case 'sync_batch': {
        if (this.syncReq !== frame.req) return undefined;
        this.syncReq = null;
        for (const m of frame.messages) this.surface(m, 'sync');
        const user = this.user();
        if (user === null) return undefined;
        if (frame.more) return this.startSync(user);
        return this.emit({ event: 'sync_completed', user });
      }
      case 'renew_token_ok':
        if (this.renewals.has(frame.req)) {
          const token = this.renewals.get(frame.req);
          this.renewals.delete(frame.req);
          // Reconnects log in with the renewed token from now on.
          if (this.zim.kind === 'logged_in') this.zim.token = token;
          this.emit({ event: 'token_renewed', code: 0, message: '' });
        }
        return undefined;
      case 'token_will_expire':
        return this.emit({ event: 'token_will_expire', second: frame.second });
      case 'token_expired': {
        // The session is over; the binding stays (the user did not log out), so a logout
        // called now must still reach the server.
        const loggingOut = this.loggingOut();
        this.becomeLoggedOut();
        if (loggingOut && this.lastUser) {
          const message = "the session's token expired before the logout reached the server";
          this.emit({ event: 'logout_failed', user: this.lastUser.user, code: ErrorCode.TokenExpired, message });
        }
        this.state('disconnected', 'token_expired');
        if (loggingOut) this.afterLogout(now);
        return undefined;
      }
      case 'group_ok':
        return this.answerRequest(frame.req, { groupId: frame.group_id });
      case 'room_ok':
      case 'setting_ok':
        return this.answerRequest(frame.req, { groupId: null });
      case 'group_changed':
        return this.emit({ event: 'group_changed', group_id: frame.group_id, change: frame.change });
      case 'user_rule_updated':
        return this.emit({ event: 'user_rule_updated', rule: frame.rule });
      case 'kicked_out': {
        this.store.lastLogin = null; // the kick-out unbound this install
        const loggingOut = this.loggingOut();
        this.becomeLoggedOut();
        this.state('disconnected', 'kicked_out');
        // The kick-out ended the session and its binding: a logout under way is done.
        if (loggingOut && this.lastUser) {
          this.emit({ event: 'logged_out', user: this.lastUser.user });
          this.afterLogout(now);
        }
        return undefined;
      }
      case 'error':
        return this.onError(now, frame.req ?? null, frame.code, frame.message);
      default:
        return undefined; // a frame this SDK does not know: nothing to do
    }
  }

  onError(now, req, code, message) {
    if (req === null) return;
    if (this.sends.has(req)) {
      const to = this.sends.get(req);
      this.sends.delete(req);
      return this.emit({ event: 'send_failed', to, code, message });
    }
    if (this.renewals.delete(req)) return this.emit({ event: 'token_renewed', code, message });
    if (this.requests.has(req)) return this.answerRequest(req, { error: { code, message } });
    const z = this.zim;
    if (z.kind !== 'connecting' || z.loginReq !== req) return;
    const loggingOut = this.loggingOut();
    this.becomeLoggedOut();
    if (loggingOut) {
      // The server would not take a session, so the logout could not be confirmed there:
      // the app must not believe the binding is gone.
      this.emit({ event: 'logout_failed', user: z.user, code, message });
    } else {
      this.emit({ event: 'login_failed', user: z.user, code, message });
    }
    this.state('disconnected', code === ErrorCode.TokenExpired ? 'token_expired' : 'login_timeout');
    if (loggingOut) this.afterLogout(now);
  }

  startSync(user) {
    const req = this.req();
    this.syncReq = req;
    const cursors = this.store.user(user).cursorsForSync();
    this.send({ type: 'sync', req, cursors, limit: this.config.sync_page });
  }

  // Shows a message to the app unless this install already has it. Nothing surfaces while
  // a logout is under way: the user has left (a later sync fetches it if they come back).
  surface(message, via) {
    if (this.loggingOut()) return;
    const user = this.user();
    if (user === null) return;
    if (this.store.user(user).admit(message)) this.emit({ event: 'message_received', user, message, via });
  }

  onTick(now) {
    if (this.loginDeadline !== null && now >= this.loginDeadline && this.zim.kind === 'connecting') {
      const { user } = this.zim;
      this.becomeLoggedOut();
      const message = 'no session within the login timeout';
      this.emit({ event: 'login_failed', user, code: ErrorCode.NetworkError, message });
      this.state('disconnected', 'login_timeout');
      return;
    }
    if (this.replyDeadline !== null && now >= this.replyDeadline) {
      // The link is dead though no close was seen (half-open), or slower than the timeout:
      // drop it, and wait longer on the next one.
      const max = this.config.pong_timeout_ms * MAX_REPLY_TIMEOUT_FACTOR;
      this.replyTimeoutMs = Math.min(this.replyTimeoutMs * 2, max);
      this.dropLink(true);
      this.onDisconnected(now);
      return;
    }
    if (this.reconnectAt !== null && now >= this.reconnectAt) this.connect();
    if (this.heartbeatAt !== null && now >= this.heartbeatAt && this.connected) {
      this.send({ type: 'heartbeat' });
      this.heartbeatAt = now + this.config.heartbeat_interval_ms;
      if (this.replyDeadline === null) this.replyDeadline = now + this.replyTimeoutMs;
    }
  }
}

Object.assign(SdkCore.prototype, requests, zpns);

module.exports = { SdkCore, MAX_REPLY_TIMEOUT_FACTOR };
