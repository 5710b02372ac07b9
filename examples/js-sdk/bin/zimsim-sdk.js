#!/usr/bin/env node
'use strict';
// The zimsim conformance adapter (docs/sdk-adapter.md): JSON lines on stdin, exactly one
// answer line per line on stdout (launch -> ready, input -> outputs, persist -> persisted),
// exit at end of input. Diagnostics go to stderr only.
//
// It plays the app and the phone around the SDK: app calls (`{"input": "app", ...}`) become
// calls of the public API (ZPNs / ZIM, as an RN app makes them), the API's callbacks
// become `event` outputs, and everything else the phone feeds the SDK (connection, frames,
// tokens, pushes, time) goes to the SDK's runtime. Outputs keep the order the SDK produced
// them in: transport requests and callbacks are collected on one list as they happen.

const readline = require('node:readline');
const sdk = require('../src');
const { wireMessage } = require('../src/api');

const PROTOCOL = 1;

// RN callbacks back to the protocol's APP EVENTs.
function zpnsNotification(m) {
  const n = { title: m.title, content: m.content, payload: m.payload, message_id: m.messageID ?? null, to_user: m.toUserID ?? null };
  if (m.badge !== undefined) n.badge = m.badge;
  return n;
}

class Session {
  constructor({ name = sdk.NAME } = {}) {
    this.name = name;
    this.runtime = null;
    this.out = [];
  }

  // One request line (parsed) to its answer (an object to write as one line).
  handle(req) {
    switch (req.type) {
      case 'launch':
        return this.launch(req);
      case 'input':
        this.out = [];
        if (req.input.input === 'app') {
          this.runtime.now = req.now;
          this.app(req.input.call);
        } else {
          this.runtime.input(req.now, req.input);
        }
        return { type: 'outputs', outputs: this.drain(), timeout: this.runtime.timeout() };
      case 'persist':
        return { type: 'persisted', data: this.runtime.persisted() };
      default:
        throw new Error(`unknown request type ${JSON.stringify(req.type)}`);
    }
  }

  drain() {
    const o = this.out;
    this.out = [];
    return o;
  }

  launch(req) {
    if (req.protocol !== PROTOCOL) throw new Error(`protocol ${req.protocol} is not ${PROTOCOL}`);
    this.out = [];
    this.runtime = sdk.launch(req.config, req.persisted ?? null);
    this.runtime.transport = (o) => this.out.push(o);
    // The app's objects, and every callback the protocol reports.
    this.zpns = sdk.ZPNs.getInstance();
    this.zim = sdk.ZIM.create({ appID: 0, appSign: '' });
    this.listen();
    // A logout the last run left pending was started by the core at launch.
    this.runtime.flush();
    return { type: 'ready', protocol: PROTOCOL, name: this.name, outputs: this.drain(), timeout: this.runtime.timeout() };
  }

  event(event) {
    this.out.push({ output: 'event', event });
  }

  listen() {
    const zp = this.zpns;
    zp.on('registered', (m) => this.event({ event: 'registered', error_code: m.errorCode, push_id: m.pushID || null, message: m.message }));
    zp.on('notificationArrived', (m) => this.event({ event: 'notification_arrived', notification: zpnsNotification(m) }));
    zp.on('throughMessageReceived', (m) => this.event({ event: 'through_message_received', notification: zpnsNotification(m) }));
    zp.on('notificationClicked', (m) => this.event({ event: 'notification_clicked', notification: zpnsNotification(m) }));

    const E = sdk;
    const state = ['disconnected', 'connecting', 'connected', 'reconnecting'];
    const cause = ['success', 'active_login', 'login_timeout', 'login_interrupted', 'kicked_out', 'token_expired', 'unregistered'];
    const z = this.zim;
    z.on('connectionStateChanged', (_, d) => this.event({ event: 'connection_state_changed', state: state[d.state], cause: cause[d.event] }));
    z.on('loggedIn', (_, d) => this.event({ event: 'logged_in', user: d.userID }));
    z.on('loginFailed', (_, d) => this.event({ event: 'login_failed', user: d.userID, code: d.code, message: d.message }));
    z.on('loggedOut', (_, d) => this.event({ event: 'logged_out', user: d.userID }));
    z.on('logoutFailed', (_, d) => this.event({ event: 'logout_failed', user: d.userID, code: d.code, message: d.message }));
    z.on('messageSent', (_, d) => this.event({ event: 'message_sent', message: wireMessage(d.message, d.message.senderUserID) }));
    z.on('messageSendFailed', (_, d) => this.event({ event: 'send_failed', to: d.conversationID, code: d.code, message: d.message }));
    const received = (_, d) => {
      for (const m of d.messageList) {
        const via = d.info.isOfflineMessage ? 'sync' : 'online';
        this.event({ event: 'message_received', user: d.userID, message: wireMessage(m, d.userID), via });
      }
    };
    z.on('peerMessageReceived', received);
    z.on('groupMessageReceived', received);
    z.on('roomMessageReceived', received);
    z.on('syncCompleted', (_, d) => this.event({ event: 'sync_completed', user: d.userID }));
    z.on('groupResult', (_, d) => this.event({ event: 'group_result', op: d.op, group_id: d.groupID ?? null, code: d.code, message: d.message }));
    z.on('roomResult', (_, d) => this.event({ event: 'room_result', op: d.op, room_id: d.roomID, code: d.code, message: d.message }));
    z.on('settingResult', (_, d) => this.event({ event: 'setting_result', op: d.op, code: d.code, message: d.message }));
    const platform = { [E.ZIMPlatformType.IPhoneOS]: 'ios', [E.ZIMPlatformType.Android]: 'android', [E.ZIMPlatformType.Web]: 'web' };
    z.on('userRuleUpdated', (_, d) => {
      const r = d.userOfflinePushRule;
      this.event({
        event: 'user_rule_updated',
        rule: {
          online_platforms: r.onlinePlatforms.map((p) => platform[p]),
          not_to_receive_offline_push_platforms: r.notToReceiveOfflinePushPlatforms.map((p) => platform[p]),
        },
      });
    });
    z.on('groupMemberStateChanged', (_, d) => {
      const change = d.state === E.ZIMGroupMemberState.Enter ? 'joined' : 'left';
      this.event({ event: 'group_changed', group_id: d.groupID, change: { change, users: d.userList.map((u) => u.userID) } });
    });
    z.on('groupStateChanged', (_, d) => this.event({ event: 'group_changed', group_id: d.groupInfo.baseInfo.groupID, change: { change: 'dismissed' } }));
    z.on('tokenWillExpire', (_, d) => this.event({ event: 'token_will_expire', second: d.second }));
    z.on('tokenRenewed', (_, d) => this.event({ event: 'token_renewed', code: d.code, message: d.message }));
  }

  // An app call (the `do` of docs/sdk-adapter.md) as the app makes it through the API.
  app(call) {
    const E = sdk;
    const convType = (t) => ({ peer: E.ZIMConversationType.Peer, group: E.ZIMConversationType.Group, room: E.ZIMConversationType.Room })[t || 'peer'];
    const platform = (p) => ({ ios: E.ZIMPlatformType.IPhoneOS, android: E.ZIMPlatformType.Android, web: E.ZIMPlatformType.Web })[p];
    switch (call.do) {
      case 'set_push_config': {
        const c = call.config || {};
        return this.zpns.setPushConfig({
          enableFCMPush: !!c.enable_fcm_push,
          enableHWPush: !!c.enable_hw_push,
          enableMiPush: !!c.enable_mi_push,
          enableOppoPush: !!c.enable_oppo_push,
          enableVivoPush: !!c.enable_vivo_push,
        });
      }
      case 'enable_debug':
        return this.zpns.enableDebug(!!call.debug);
      case 'register_push': {
        const env = { automatic: E.ZPNsIOSEnvironment.Automatic, development: E.ZPNsIOSEnvironment.Development, production: E.ZPNsIOSEnvironment.Production };
        return this.zpns.registerPush({ iOSEnvironment: env[call.ios_environment || 'automatic'], enableIOSVoIP: !!call.enable_ios_voip });
      }
      case 'unregister_push':
        return this.zpns.unregisterPush();
      case 'apply_notification_permission':
        return this.zpns.applyNotificationPermission();
      case 'login':
        return this.zim.login(call.user, { userName: call.user, token: call.token });
      case 'logout':
        return this.zim.logout();
      case 'renew_token':
        return this.zim.renewToken(call.token);
      case 'send': {
        let message;
        const b = call.body;
        if (b && b.type === 'command') message = { type: E.ZIMMessageType.Command, message: b.data };
        else if (b && b.type === 'custom') message = { type: E.ZIMMessageType.Custom, message: b.message, subType: b.sub_type ?? 0, searchedContent: b.searched_content ?? '' };
        else if (b) message = { type: E.ZIMMessageType.Text, message: b.text };
        else message = { type: E.ZIMMessageType.Text, message: call.text ?? '' };
        if (call.extended_data) message.extendedData = call.extended_data;
        const config = { priority: call.priority ?? E.ZIMMessagePriority.Low };
        if (call.push) {
          const p = call.push;
          config.pushConfig = {
            title: p.title,
            content: p.content,
            payload: p.payload,
            resourcesID: p.resources_id,
            enableBadge: p.enable_badge,
            badgeIncrement: p.badge_increment,
          };
          if (p.voip) {
            config.pushConfig.voIPConfig = { iOSVoIPHandleType: p.voip.handle_type, iOSVoIPHandleValue: p.voip.handle_value, iOSVoIPHasVideo: p.voip.has_video };
          }
        }
        return this.zim.sendMessage(message, call.to, convType(call.conv_type), config);
      }
      case 'create_group':
        return this.zim.createGroup({ groupID: call.group_id ?? undefined, groupName: call.name ?? '' }, call.members || []);
      case 'join_group':
        return this.zim.joinGroup(call.group_id);
      case 'leave_group':
        return this.zim.leaveGroup(call.group_id);
      case 'dismiss_group':
        return this.zim.dismissGroup(call.group_id);
      case 'enter_room':
        return this.zim.enterRoom({ roomID: call.room_id, roomName: call.room_id });
      case 'leave_room':
        return this.zim.leaveRoom(call.room_id);
      case 'set_notification_status': {
        const status = { notify: E.ZIMConversationNotificationStatus.Notify, do_not_disturb: E.ZIMConversationNotificationStatus.DoNotDisturb }[call.status];
        return this.zim.setConversationNotificationStatus(status, call.to, convType(call.conv_type));
      }
      case 'set_badge':
        return this.zim.setBadge(call.badge);
      case 'update_offline_push_rule': {
        const r = call.rule || {};
        return this.zim.updateUserOfflinePushRule({
          onlinePlatforms: (r.online_platforms || []).map(platform),
          notToReceiveOfflinePushPlatforms: (r.not_to_receive_offline_push_platforms || []).map(platform),
        });
      }
      default:
        throw new Error(`unknown app call ${JSON.stringify(call.do)}`);
    }
  }
}

// Reads stdin line by line and answers each on stdout; exits at end of input.
function main(options = {}) {
  const session = new Session(options);
  const rl = readline.createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    let answer;
    try {
      answer = session.handle(JSON.parse(line));
    } catch (e) {
      // No answer the harness could take for a correct one: say why, and stop.
      process.stderr.write(`zimsim-sdk: ${e.stack || e}\n`);
      process.exitCode = 1;
      rl.close();
      return;
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
  rl.on('close', () => process.stdin.destroy());
}

module.exports = { Session, main };

if (require.main === module) main();
