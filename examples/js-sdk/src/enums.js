'use strict';
// The React Native SDKs' enums (ZIM and ZPNs), with the conversions to the wire's names.
// An app written against zego-zim-react-native / zego-zpns-react-native passes and gets
// these numbers; the core speaks the protocol's snake_case strings.

const ZIMConnectionState = Object.freeze({ Disconnected: 0, Connecting: 1, Connected: 2, Reconnecting: 3 });
const ZIMConnectionEvent = Object.freeze({
  Success: 0,
  ActiveLogin: 1,
  LoginTimeout: 2,
  LoginInterrupted: 3,
  KickedOut: 4,
  TokenExpired: 5,
  Unregistered: 6,
});
const ZIMConversationType = Object.freeze({ Peer: 0, Room: 1, Group: 2 });
const ZIMMessageType = Object.freeze({ Text: 1, Command: 2, Custom: 200 });
const ZIMMessagePriority = Object.freeze({ Low: 1, Medium: 2, High: 3 });
const ZIMConversationNotificationStatus = Object.freeze({ Notify: 1, DoNotDisturb: 2 });
const ZIMPlatformType = Object.freeze({ IPhoneOS: 2, Android: 4, Web: 32 });
const ZIMGroupMemberState = Object.freeze({ Quit: 0, Enter: 1 });
const ZIMGroupState = Object.freeze({ Quit: 0, Enter: 1 });
const ZIMGroupEvent = Object.freeze({ Created: 1, Dismissed: 2, Joined: 3, Invited: 4, Left: 5, KickedOut: 6 });
const ZPNsIOSEnvironment = Object.freeze({ Automatic: 0, Development: 1, Production: 2 });
const ZPNsPushSourceType = Object.freeze({ APNs: 0, Xiaomi: 1, Huawei: 2, Vivo: 3, Oppo: 4, FCM: 5 });

// Two-way maps between an enum's numbers and the wire's strings.
function table(enumObj, pairs) {
  const toWire = new Map();
  const fromWire = new Map();
  for (const [name, wire] of pairs) {
    toWire.set(enumObj[name], wire);
    fromWire.set(wire, enumObj[name]);
  }
  return {
    toWire: (n) => {
      if (!toWire.has(n)) throw new Error(`unknown value ${n}`);
      return toWire.get(n);
    },
    fromWire: (w) => {
      if (!fromWire.has(w)) throw new Error(`unknown value ${JSON.stringify(w)}`);
      return fromWire.get(w);
    },
  };
}

const wire = {
  connectionState: table(ZIMConnectionState, [
    ['Disconnected', 'disconnected'],
    ['Connecting', 'connecting'],
    ['Connected', 'connected'],
    ['Reconnecting', 'reconnecting'],
  ]),
  connectionEvent: table(ZIMConnectionEvent, [
    ['Success', 'success'],
    ['ActiveLogin', 'active_login'],
    ['LoginTimeout', 'login_timeout'],
    ['LoginInterrupted', 'login_interrupted'],
    ['KickedOut', 'kicked_out'],
    ['TokenExpired', 'token_expired'],
    ['Unregistered', 'unregistered'],
  ]),
  conversationType: table(ZIMConversationType, [
    ['Peer', 'peer'],
    ['Room', 'room'],
    ['Group', 'group'],
  ]),
  notificationStatus: table(ZIMConversationNotificationStatus, [
    ['Notify', 'notify'],
    ['DoNotDisturb', 'do_not_disturb'],
  ]),
  platform: table(ZIMPlatformType, [
    ['IPhoneOS', 'ios'],
    ['Android', 'android'],
    ['Web', 'web'],
  ]),
  iosEnvironment: table(ZPNsIOSEnvironment, [
    ['Automatic', 'automatic'],
    ['Development', 'development'],
    ['Production', 'production'],
  ]),
  pushSource: table(ZPNsPushSourceType, [
    ['APNs', 'apns'],
    ['Xiaomi', 'mi'],
    ['Huawei', 'hms'],
    ['Vivo', 'vivo'],
    ['Oppo', 'oppo'],
    ['FCM', 'fcm'],
  ]),
};

module.exports = {
  ZIMConnectionState,
  ZIMConnectionEvent,
  ZIMConversationType,
  ZIMMessageType,
  ZIMMessagePriority,
  ZIMConversationNotificationStatus,
  ZIMPlatformType,
  ZIMGroupMemberState,
  ZIMGroupState,
  ZIMGroupEvent,
  ZPNsIOSEnvironment,
  ZPNsPushSourceType,
  wire,
};
