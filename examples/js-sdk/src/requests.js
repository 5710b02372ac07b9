'use strict';
// The app calls that need a session (port of `client/reference/requests.rs`): sends,
// group, room and setting requests. Each is refused locally when it breaks a documented
// rule, queued while the SDK reconnects, failed with a code when no session will carry
// it, and answered exactly once. These functions are methods of `SdkCore` (mixed in).

const { ErrorCode, checkSend, limits, outgoing, pushRule } = require('./wire');

// A group, room or setting request awaiting the server's answer, or null for a send.
function requestOf(call) {
  switch (call.do) {
    case 'create_group':
      return { kind: 'group', op: 'create', id: call.group_id ?? null };
    case 'join_group':
      return { kind: 'group', op: 'join', id: call.group_id };
    case 'leave_group':
      return { kind: 'group', op: 'leave', id: call.group_id };
    case 'dismiss_group':
      return { kind: 'group', op: 'dismiss', id: call.group_id };
    case 'enter_room':
      return { kind: 'room', op: 'enter', id: call.room_id };
    case 'leave_room':
      return { kind: 'room', op: 'leave', id: call.room_id };
    case 'set_notification_status':
      return { kind: 'setting', op: 'notification_status' };
    case 'set_badge':
      return { kind: 'setting', op: 'badge' };
    case 'update_offline_push_rule':
      return { kind: 'setting', op: 'push_rule' };
    default:
      return null;
  }
}

// The app's event for a request's outcome (`code` 0: done).
function resultOf(request, code, message, groupId) {
  switch (request.kind) {
    case 'group':
      return { event: 'group_result', op: request.op, group_id: groupId ?? request.id, code, message };
    case 'room':
      return { event: 'room_result', op: request.op, room_id: request.id, code, message };
    default:
      return { event: 'setting_result', op: request.op, code, message };
  }
}

// The message a `send` call hands over (a text may be written as `text`).
function outgoingOf(call) {
  if (call.do !== 'send') return null;
  const body = call.body ?? { type: 'text', text: call.text ?? '' };
  return outgoing({ ...call, body });
}

// `PerSecond::allow`: one more send at `now` within the limit in any second? Counts it.
function allowSend(recent, now, limit) {
  while (recent.length && now - recent[0] >= 1000) recent.shift();
  if (recent.length >= limit) return false;
  recent.push(now);
  return true;
}

module.exports = {
  // A send or a group / room / setting call from the app.
  onSessionCall(now, call) {
    // Logged in, or logged in and reconnecting (RECONNECTING is not DISCONNECTED: the app
    // is still logged in, so the call waits for the session).
    const z = this.zim;
    let waiting;
    if (z.kind === 'logged_in') waiting = false;
    else if (z.kind === 'connecting' && z.resumed && !this.loggingOut()) waiting = true;
    else return this.fail(call, ErrorCode.UserIsNotLogged, 'not logged in');
    if (call.do === 'set_badge' && call.badge < 0) {
      return this.fail(call, ErrorCode.ParamInvalid, `badge ${call.badge} is negative`);
    }
    const message = outgoingOf(call);
    if (message) {
      // Refused here, nothing sent: an oversized frame would cost the connection.
      const why = checkSend(z.user, message, limits.TEXT_MAX_BYTES);
      if (why !== null) return this.fail(call, ErrorCode.ParamInvalid, why);
      if (!allowSend(this.recentSends, now, limits.SENDS_PER_SECOND)) {
        return this.fail(call, ErrorCode.ClientRateLimited, `more than ${limits.SENDS_PER_SECOND} sends within a second`);
      }
    }
    if (waiting) this.outbox.push(call);
    else this.dispatch(call);
    return undefined;
  },

  // Puts a checked call on the wire.
  dispatch(call) {
    const message = outgoingOf(call);
    const request = requestOf(call);
    if (!message && !request) return;
    const req = this.req();
    let frame;
    if (message) {
      this.sends.set(req, message.to);
      frame = { type: 'send', req, ...message };
    } else {
      this.requests.set(req, request);
      switch (call.do) {
        case 'create_group':
          frame = { type: 'create_group', req };
          if (call.group_id !== undefined && call.group_id !== null) frame.group_id = call.group_id;
          frame.name = call.name ?? '';
          frame.members = [...(call.members || [])];
          break;
        case 'join_group':
        case 'leave_group':
        case 'dismiss_group':
          frame = { type: call.do, req, group_id: call.group_id };
          break;
        case 'enter_room':
        case 'leave_room':
          frame = { type: call.do, req, room_id: call.room_id };
          break;
        case 'set_notification_status':
          frame = { type: call.do, req, to: call.to, conv_type: call.conv_type || 'peer', status: call.status };
          break;
        case 'set_badge':
          frame = { type: call.do, req, badge: call.badge };
          break;
        case 'update_offline_push_rule':
          frame = { type: call.do, req, rule: pushRule(call.rule) };
          break;
        default:
          throw new Error(`not a session call: ${call.do}`);
      }
    }
    this.send(frame);
  },

  // Reports a session call that will not be carried out.
  fail(call, code, message) {
    const m = outgoingOf(call);
    if (m) return this.emit({ event: 'send_failed', to: m.to, code, message });
    const request = requestOf(call);
    if (request) this.emit(resultOf(request, code, message, null));
    return undefined;
  },

  // The link dropped: what was in flight on it has an unknown outcome.
  failInFlight() {
    const message = 'the connection closed before the server answered';
    const code = ErrorCode.DisconnectedWhileSending;
    const sends = [...this.sends.values()];
    const reqs = [...this.requests.values()];
    const renewals = this.renewals.size;
    this.sends.clear();
    this.requests.clear();
    this.renewals.clear();
    for (const to of sends) this.emit({ event: 'send_failed', to, code, message });
    for (const r of reqs) this.emit(resultOf(r, code, message, null));
    for (let i = 0; i < renewals; i++) this.emit({ event: 'token_renewed', code, message });
  },

  // The session never came back for what waited in the outbox.
  failOutbox() {
    const calls = this.outbox;
    this.outbox = [];
    for (const call of calls) this.fail(call, ErrorCode.UserIsNotLogged, 'logged out before the connection came back');
  },

  // A group or room request's answer: `{groupId}` on success, `{error: {code, message}}`.
  answerRequest(req, outcome) {
    const request = this.requests.get(req);
    if (!request) return false;
    this.requests.delete(req);
    if (outcome.error) this.emit(resultOf(request, outcome.error.code, outcome.error.message, null));
    else this.emit(resultOf(request, 0, '', outcome.groupId));
    return true;
  },
};
