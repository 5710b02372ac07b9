'use strict';
// The public API, shaped like ZEGO's React Native SDKs (zego-zpns-react-native and
// zego-zim-react-native) so an RN SDK team recognises it: a `ZPNs` singleton and a `ZIM`
// client, RN enums, RN method names and argument shapes, `on(event, cb)` callbacks.
//
// Underneath is the sans-IO core (`core.js`). A `Runtime` joins the two: it holds the core
// and the time the host last told it, turns each API call into the core's app input, and
// hands each core output, in order, either to the host's transport (connect, send a
// frame, ask the OS for a token, ...) or to the API object whose callback it is.
//
// Results: in RN, `login`, `sendMessage` and friends return Promises, and so do these.
// Promises settle on a later microtask, though, and a sans-IO host needs every callback in
// the order the core produced it; so each result is also raised synchronously as an
// event (`loggedIn` / `loginFailed`, `messageSent` / `messageSendFailed`, `groupResult`,
// ...). Use whichever suits; the conformance adapter listens to the events.

const { SdkCore } = require('./core');
const { peerConv } = require('./wire');
const E = require('./enums');

const ZPNS_EVENTS = new Set(['registered', 'notification_arrived', 'through_message_received', 'notification_clicked']);

// A minimal event emitter (Node's would do, but the API should not depend on Node).
class Emitter {
  constructor() {
    this.listeners = new Map();
  }

  on(event, cb) {
    if (!this.listeners.has(event)) this.listeners.set(event, []);
    this.listeners.get(event).push(cb);
    return this;
  }

  off(event, cb) {
    const l = this.listeners.get(event);
    if (l) this.listeners.set(event, cb ? l.filter((x) => x !== cb) : []);
    return this;
  }

  fire(event, ...args) {
    for (const cb of this.listeners.get(event) || []) cb(...args);
  }
}

// One app launch: the core, the host's clock, and where outputs go.
class Runtime {
  constructor(config, persisted) {
    this.core = new SdkCore(config, persisted ?? null);
    this.now = 0;
    this.transport = () => {}; // the host's: carries out connect / send / close / OS requests
    this.zim = null;
    this.zpns = null;
    this.undelivered = []; // events raised before the app made the object they belong to
  }

  // Something happened at `now` (the host's clock; it never goes backwards).
  input(now, input) {
    this.now = now;
    this.core.handle(now, input);
    this.flush();
  }

  // An API call, at the time of the last input.
  call(call) {
    this.core.handle(this.now, { input: 'app', call });
    this.flush();
  }

  flush() {
    for (let o = this.core.pollOutput(); o !== null; o = this.core.pollOutput()) {
      if (o.output === 'event') this.deliver(o.event);
      else this.transport(o);
    }
  }

  deliver(event) {
    const target = ZPNS_EVENTS.has(event.event) ? this.zpns : this.zim;
    if (target) target._raise(event);
    else this.undelivered.push(event);
  }

  attach(kind, obj) {
    this[kind] = obj;
    const waiting = this.undelivered;
    this.undelivered = [];
    for (const e of waiting) this.deliver(e);
  }

  // When the core next wants a tick (ms), or null.
  timeout() {
    return this.core.pollTimeout();
  }

  persisted() {
    return this.core.persisted();
  }
}

let runtime = null;

// The platform layer (the native side of an RN SDK): the host starts the app's SDK with
// the install's facts and the local data the last run left.
function launch(config, persisted) {
  runtime = new Runtime(config, persisted);
  zpnsInstance = null;
  zimInstance = null;
  return runtime;
}

function currentRuntime() {
  if (!runtime) throw new Error('the SDK is not launched (call launch(config, persisted) first)');
  return runtime;
}

// --- ZPNs ----------------------------------------------------------------------------

// `ZPNsMessage`: what a notification said.
function zpnsMessage(n, vendor) {
  const m = {
    title: n.title,
    content: n.content,
    payload: n.payload,
    extras: { payload: n.payload },
    messageID: n.message_id,
    toUserID: n.to_user,
  };
  if (n.badge !== undefined) m.badge = n.badge;
  if (vendor) m.pushSourceType = E.wire.pushSource.fromWire(vendor);
  return m;
}

let zpnsInstance = null;

class ZPNs extends Emitter {
  static getInstance() {
    if (!zpnsInstance) {
      zpnsInstance = new ZPNs(currentRuntime());
      runtime.attach('zpns', zpnsInstance);
    }
    return zpnsInstance;
  }

  constructor(rt) {
    super();
    this.runtime = rt;
  }

  // `ZPNsConfig`: which vendor channels the app enabled (all off by default).
  setPushConfig(config = {}) {
    const c = config || {};
    this.runtime.call({
      do: 'set_push_config',
      config: {
        enable_fcm_push: !!c.enableFCMPush,
        enable_hw_push: !!c.enableHWPush,
        enable_mi_push: !!c.enableMiPush,
        enable_oppo_push: !!c.enableOppoPush,
        enable_vivo_push: !!c.enableVivoPush,
      },
    });
  }

  enableDebug(debug) {
    this.runtime.call({ do: 'enable_debug', debug: !!debug });
  }

  // `registerPush({iOSEnvironment, enableIOSVoIP})`: answered by `registered`.
  registerPush(config = {}) {
    const c = config || {};
    const env = c.iOSEnvironment ?? E.ZPNsIOSEnvironment.Automatic;
    const call = { do: 'register_push', ios_environment: E.wire.iosEnvironment.toWire(env) };
    if (c.enableIOSVoIP) call.enable_ios_voip = true;
    this.runtime.call(call);
  }

  unregisterPush() {
    this.runtime.call({ do: 'unregister_push' });
  }

  applyNotificationPermission() {
    this.runtime.call({ do: 'apply_notification_permission' });
  }

  _raise(e) {
    switch (e.event) {
      case 'registered':
        // `ZPNsRegisterMessage`
        return this.fire('registered', { errorCode: e.error_code, pushID: e.push_id ?? '', message: e.message });
      case 'notification_arrived':
        return this.fire('notificationArrived', zpnsMessage(e.notification));
      case 'through_message_received':
        return this.fire('throughMessageReceived', zpnsMessage(e.notification));
      case 'notification_clicked':
        return this.fire('notificationClicked', zpnsMessage(e.notification));
      default:
        return undefined;
    }
  }
}

// --- ZIM -----------------------------------------------------------------------------

// The ID `viewer` names a conversation by: the other user of a peer chat, else its ID.
function conversationIdFor(conv, viewer) {
  if (conv.type === 'peer') return conv.a === viewer ? conv.b : conv.a;
  return conv.id;
}

// A wire message as a `ZIMMessage`, as `viewer` sees it.
function zimMessage(m, viewer) {
  const out = {
    messageID: m.id,
    conversationID: conversationIdFor(m.conv, viewer),
    conversationType: E.wire.conversationType.fromWire(m.conv.type),
    conversationSeq: m.seq,
    senderUserID: m.from,
    timestamp: m.sent_at,
    extendedData: m.extended_data ?? '',
  };
  switch (m.body.type) {
    case 'command':
      return { ...out, type: E.ZIMMessageType.Command, message: m.body.data };
    case 'custom':
      return {
        ...out,
        type: E.ZIMMessageType.Custom,
        message: m.body.message,
        subType: m.body.sub_type,
        searchedContent: m.body.searched_content ?? '',
      };
    default:
      return { ...out, type: E.ZIMMessageType.Text, message: m.body.text };
  }
}

// A `ZIMMessage` back to the protocol's message (what the harness and invariants read).
function wireMessage(z, viewer) {
  const type = E.wire.conversationType.toWire(z.conversationType);
  const conv = type === 'peer' ? peerConv(viewer, z.conversationID) : { type, id: z.conversationID };
  let body;
  if (z.type === E.ZIMMessageType.Command) body = { type: 'command', data: z.message };
  else if (z.type === E.ZIMMessageType.Custom) {
    body = { type: 'custom', message: z.message, sub_type: z.subType };
    if (z.searchedContent) body.searched_content = z.searchedContent;
  } else body = { type: 'text', text: z.message };
  const m = { id: z.messageID, conv, seq: z.conversationSeq, from: z.senderUserID, body, sent_at: z.timestamp };
  if (z.extendedData) m.extended_data = z.extendedData;
  return m;
}

// `ZIMMessage` (RN) to the app call's message fields.
function messageFields(message) {
  const m = message || {};
  const fields = {};
  switch (m.type) {
    case E.ZIMMessageType.Command:
      fields.body = { type: 'command', data: String(m.message ?? '') };
      break;
    case E.ZIMMessageType.Custom:
      fields.body = { type: 'custom', message: m.message ?? '', sub_type: m.subType ?? 0 };
      if (m.searchedContent) fields.body.searched_content = m.searchedContent;
      break;
    default:
      fields.text = m.message ?? '';
  }
  if (m.extendedData) fields.extended_data = m.extendedData;
  return fields;
}

// `ZIMPushConfig` to the wire's push config.
function pushConfigFields(p) {
  const out = { title: p.title ?? '', content: p.content ?? '', payload: p.payload ?? '' };
  if (p.resourcesID) out.resources_id = p.resourcesID;
  if (p.enableBadge) out.enable_badge = true;
  if (p.badgeIncrement) out.badge_increment = p.badgeIncrement;
  if (p.voIPConfig) {
    out.voip = {
      handle_type: p.voIPConfig.iOSVoIPHandleType ?? 0,
      handle_value: p.voIPConfig.iOSVoIPHandleValue ?? '',
      has_video: !!p.voIPConfig.iOSVoIPHasVideo,
    };
  }
  return out;
}

const platformsOf = (list) => (list || []).map((p) => (typeof p === 'number' ? E.wire.platform.toWire(p) : p));
const platformNumbers = (list) => (list || []).map((p) => E.wire.platform.fromWire(p));

let zimInstance = null;

class ZIM extends Emitter {
  // `ZIM.create({appID, appSign})`: the app's one ZIM instance. (The simulator has one
  // app; its credentials are the server's concern, so they are accepted and kept.)
  static create(appConfig = {}) {
    if (!zimInstance) {
      zimInstance = new ZIM(currentRuntime(), appConfig);
      runtime.attach('zim', zimInstance);
    }
    return zimInstance;
  }

  static getInstance() {
    return zimInstance;
  }

  constructor(rt, appConfig) {
    super();
    this.runtime = rt;
    this.appConfig = appConfig;
    this.currentUserID = null;
    this.pending = []; // {kind, key, resolve, reject}: promises awaiting their result event
  }

  // A Promise settled by the result event of `kind` (and `key`), oldest first.
  _await(kind, key, call) {
    let entry;
    const p = new Promise((resolve, reject) => {
      entry = { kind, key, resolve, reject };
    });
    p.catch(() => {}); // an app that ignores the promise uses the events instead
    this.pending.push(entry);
    this.runtime.call(call);
    return p;
  }

  _settle(kind, key, error, value) {
    const i = this.pending.findIndex((e) => e.kind === kind && (key === undefined || e.key === key));
    if (i < 0) return;
    const [entry] = this.pending.splice(i, 1);
    if (error) entry.reject(error);
    else entry.resolve(value);
  }

  // `login(userID, {userName, token})`: resolves on login, rejects with {code, message}.
  login(userID, config = {}) {
    const c = typeof config === 'string' ? { token: config } : config || {};
    const call = { do: 'login', user: userID };
    if (c.token !== undefined && c.token !== null) call.token = c.token;
    return this._await('login', userID, call);
  }

  logout() {
    return this._await('logout', undefined, { do: 'logout' });
  }

  renewToken(token) {
    const call = { do: 'renew_token' };
    if (token !== undefined && token !== null) call.token = token;
    return this._await('renew', undefined, call);
  }

  // `sendMessage(message, toConversationID, conversationType, config{priority, pushConfig})`
  sendMessage(message, toConversationID, conversationType = E.ZIMConversationType.Peer, config = {}) {
    const c = config || {};
    const call = {
      do: 'send',
      to: toConversationID,
      conv_type: E.wire.conversationType.toWire(conversationType ?? E.ZIMConversationType.Peer),
      ...messageFields(message),
      priority: c.priority ?? E.ZIMMessagePriority.Low,
    };
    if (c.pushConfig) call.push = pushConfigFields(c.pushConfig);
    return this._await('send', toConversationID, call);
  }

  // `createGroup({groupID, groupName}, userIDs)`: without a groupID the server names it.
  createGroup(groupInfo = {}, userIDs = []) {
    const g = groupInfo || {};
    const call = { do: 'create_group', name: g.groupName ?? '', members: [...(userIDs || [])] };
    if (g.groupID) call.group_id = g.groupID;
    return this._await('group', `create:${g.groupID ?? ''}`, call);
  }

  joinGroup(groupID) {
    return this._await('group', `join:${groupID}`, { do: 'join_group', group_id: groupID });
  }

  leaveGroup(groupID) {
    return this._await('group', `leave:${groupID}`, { do: 'leave_group', group_id: groupID });
  }

  dismissGroup(groupID) {
    return this._await('group', `dismiss:${groupID}`, { do: 'dismiss_group', group_id: groupID });
  }

  // `enterRoom({roomID, roomName})`
  enterRoom(roomInfo = {}) {
    const roomID = typeof roomInfo === 'string' ? roomInfo : roomInfo.roomID;
    return this._await('room', `enter:${roomID}`, { do: 'enter_room', room_id: roomID });
  }

  leaveRoom(roomID) {
    return this._await('room', `leave:${roomID}`, { do: 'leave_room', room_id: roomID });
  }

  // `setConversationNotificationStatus(status, conversationID, conversationType)`
  setConversationNotificationStatus(status, conversationID, conversationType = E.ZIMConversationType.Peer) {
    const call = {
      do: 'set_notification_status',
      to: conversationID,
      conv_type: E.wire.conversationType.toWire(conversationType ?? E.ZIMConversationType.Peer),
      status: E.wire.notificationStatus.toWire(status),
    };
    return this._await('setting', 'notification_status', call);
  }

  // Reports the app's icon badge; the server keeps it per install and counts pushes on.
  setBadge(badge) {
    return this._await('setting', 'badge', { do: 'set_badge', badge });
  }

  // `updateUserOfflinePushRule({onlinePlatforms, notToReceiveOfflinePushPlatforms})`,
  // platforms as `ZIMPlatformType`.
  updateUserOfflinePushRule(rule = {}) {
    const r = rule || {};
    const call = {
      do: 'update_offline_push_rule',
      rule: {
        online_platforms: platformsOf(r.onlinePlatforms),
        not_to_receive_offline_push_platforms: platformsOf(r.notToReceiveOfflinePushPlatforms),
      },
    };
    return this._await('setting', 'push_rule', call);
  }

  // The core's events as RN callbacks: `(zim, data)`.
  _raise(e) {
    const fire = (name, data) => this.fire(name, this, data);
    const fail = (code, message) => Object.assign(new Error(message), { code, message });
    switch (e.event) {
      case 'connection_state_changed':
        return fire('connectionStateChanged', {
          state: E.wire.connectionState.fromWire(e.state),
          event: E.wire.connectionEvent.fromWire(e.cause),
          extendedData: {},
        });
      case 'logged_in':
        this.currentUserID = e.user;
        fire('loggedIn', { userID: e.user });
        return this._settle('login', e.user, null, { userID: e.user });
      case 'login_failed':
        fire('loginFailed', { userID: e.user, code: e.code, message: e.message });
        return this._settle('login', e.user, fail(e.code, e.message));
      case 'logged_out':
        this.currentUserID = null;
        fire('loggedOut', { userID: e.user });
        return this._settle('logout', undefined, null, { userID: e.user });
      case 'logout_failed':
        fire('logoutFailed', { userID: e.user, code: e.code, message: e.message });
        return this._settle('logout', undefined, fail(e.code, e.message));
      case 'message_sent': {
        const message = zimMessage(e.message, e.message.from);
        fire('messageSent', { message });
        return this._settle('send', message.conversationID, null, { message });
      }
      case 'send_failed':
        fire('messageSendFailed', { conversationID: e.to, code: e.code, message: e.message });
        return this._settle('send', e.to, fail(e.code, e.message));
      case 'message_received': {
        const message = zimMessage(e.message, e.user);
        const name = { peer: 'peerMessageReceived', group: 'groupMessageReceived', room: 'roomMessageReceived' }[e.message.conv.type];
        return fire(name, {
          messageList: [message],
          info: { isOfflineMessage: e.via === 'sync' },
          fromConversationID: message.conversationID,
          userID: e.user,
        });
      }
      case 'sync_completed':
        return fire('syncCompleted', { userID: e.user });
      case 'group_result': {
        fire('groupResult', { op: e.op, groupID: e.group_id, code: e.code, message: e.message });
        const key = e.op === 'create' ? undefined : `${e.op}:${e.group_id}`;
        const i = this.pending.findIndex((p) => p.kind === 'group' && (key ? p.key === key : p.key.startsWith('create:')));
        if (i >= 0) this._settle('group', this.pending[i].key, e.code ? fail(e.code, e.message) : null, { groupID: e.group_id });
        return undefined;
      }
      case 'room_result':
        fire('roomResult', { op: e.op, roomID: e.room_id, code: e.code, message: e.message });
        return this._settle('room', `${e.op}:${e.room_id}`, e.code ? fail(e.code, e.message) : null, { roomID: e.room_id });
      case 'setting_result':
        fire('settingResult', { op: e.op, code: e.code, message: e.message });
        return this._settle('setting', e.op, e.code ? fail(e.code, e.message) : null, {});
      case 'user_rule_updated':
        return fire('userRuleUpdated', {
          userOfflinePushRule: {
            onlinePlatforms: platformNumbers(e.rule.online_platforms),
            notToReceiveOfflinePushPlatforms: platformNumbers(e.rule.not_to_receive_offline_push_platforms),
          },
        });
      case 'group_changed': {
        const c = e.change;
        if (c.change === 'dismissed') {
          return fire('groupStateChanged', {
            state: E.ZIMGroupState.Quit,
            event: E.ZIMGroupEvent.Dismissed,
            groupInfo: { baseInfo: { groupID: e.group_id } },
          });
        }
        const joined = c.change === 'joined';
        return fire('groupMemberStateChanged', {
          state: joined ? E.ZIMGroupMemberState.Enter : E.ZIMGroupMemberState.Quit,
          event: joined ? E.ZIMGroupEvent.Joined : E.ZIMGroupEvent.Left,
          userList: (c.users || []).map((userID) => ({ userID })),
          groupID: e.group_id,
        });
      }
      case 'token_will_expire':
        return fire('tokenWillExpire', { second: e.second });
      case 'token_renewed':
        fire('tokenRenewed', { code: e.code, message: e.message });
        return this._settle('renew', undefined, e.code ? fail(e.code, e.message) : null, {});
      default:
        throw new Error(`unknown event ${JSON.stringify(e.event)}`);
    }
  }
}

module.exports = { launch, Runtime, ZIM, ZPNs, zimMessage, wireMessage, conversationIdFor };
