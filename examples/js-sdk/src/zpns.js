'use strict';
// The ZPNs half of the SDK core (port of `client/reference/zpns.rs`): which vendor and
// environment an install registers with, the PushID built from the OS token (bound to the
// logged-in user), the VoIP PushID from PushKit's token on an iPhone whose app enabled
// VoIP (bound beside it), and which notifications reach the app. These functions are
// methods of `SdkCore` (mixed in).

const { alertPushId, voipPushId, vendorOf } = require('./pushid');
const { decode, arrival, clickCarriesPayload } = require('./decode');

// The maker's own push service, and whether the phone has Google's services (Huawei's
// have been sold without them since 2019).
const BRAND_VENDOR = { google: null, huawei: 'hms', xiaomi: 'mi', oppo: 'oppo', vivo: 'vivo' };
const ENABLE_FLAG = { fcm: 'enable_fcm_push', hms: 'enable_hw_push', mi: 'enable_mi_push', oppo: 'enable_oppo_push', vivo: 'enable_vivo_push' };

// `ZpnsConfig::channel`: APNs on iOS; on Android the maker's own service when enabled,
// else FCM when enabled and the phone has Google's services; FCM in a browser if enabled.
function channel(zpns, platform, brand) {
  const enabled = (v) => (v === 'apns' || zpns[ENABLE_FLAG[v]] ? v : null);
  if (platform === 'ios') return 'apns';
  if (platform === 'web') return enabled('fcm');
  const own = BRAND_VENDOR[brand] ? enabled(BRAND_VENDOR[brand]) : null;
  if (own) return own;
  return brand !== 'huawei' ? enabled('fcm') : null;
}

module.exports = {
  channel,

  // `registerPush`: ask the OS for a token from this install's vendor, and on an iPhone
  // with `enable_ios_voip` for its VoIP token too (on for the rest of this launch).
  registerPush(iosEnvironment, enableIosVoip) {
    this.iosEnvironment = iosEnvironment;
    this.unbindPending = false;
    const vendor = this.vendor();
    if (vendor) this.outputs.push({ output: 'request_vendor_token', vendor });
    else {
      this.emit({
        event: 'registered',
        error_code: 1,
        push_id: null,
        message: 'no push vendor enabled for this platform (see setPushConfig)',
      });
    }
    if (enableIosVoip && this.config.platform === 'ios') {
      this.iosVoip = true;
      this.outputs.push({ output: 'request_voip_token' });
    }
  },

  vendor() {
    return channel(this.zpns, this.config.platform, this.config.brand);
  },

  // The environment the PushID is labelled with: iOS as `iOSEnvironment` says (by build
  // when automatic); elsewhere development only with `enableDebug(true)`.
  environment() {
    const fromBuild = this.config.build === 'debug' ? 'development' : 'production';
    if (this.config.platform === 'ios') {
      if (this.iosEnvironment === 'development') return 'development';
      if (this.iosEnvironment === 'production') return 'production';
      return fromBuild;
    }
    return this.debug ? 'development' : 'production';
  },

  // `unregisterPush`: forget the PushID, have the OS delete the vendor token, and unbind
  // at the server now if a session is up, else as soon as one is.
  unregisterPush() {
    if (this.pushId !== null) {
      const vendor = vendorOf(this.pushId);
      this.pushId = null;
      this.outputs.push({ output: 'delete_vendor_token', vendor });
    }
    // The VoIP PushID goes with it (the server unbinds every PushID of the install).
    this.iosVoip = false;
    this.voipPushId = null;
    if (this.zim.kind === 'logged_in' && this.connected) this.unbindPush();
    else this.unbindPending = true;
  },

  unbindPush() {
    const req = this.req();
    this.serverPushId = null;
    this.serverVoipPushId = null;
    this.send({ type: 'unbind_push', req });
  },

  bindPush() {
    if (this.pushId === null) return;
    const req = this.req();
    this.serverPushId = this.pushId;
    this.send({ type: 'bind_push', req, push_id: this.pushId });
  },

  bindVoipPush() {
    if (this.voipPushId === null) return;
    const req = this.req();
    this.serverVoipPushId = this.voipPushId;
    this.send({ type: 'bind_push', req, push_id: this.voipPushId });
  },

  // PushKit's token: the VoIP PushID, reported as registered and bound beside the alert
  // PushID. Ignored unless the app enabled VoIP.
  onVoipToken(token) {
    if (!this.iosVoip) return;
    this.voipPushId = voipPushId(this.environment(), token);
    this.emit({ event: 'registered', error_code: 0, push_id: this.voipPushId, message: '' });
    if (this.zim.kind === 'logged_in' && this.voipPushId !== this.serverVoipPushId) this.bindVoipPush();
  },

  // A token from the OS: an answer to `registerPush`, or a rotation it announces on its
  // own. Only a token of the vendor this run registers with is used.
  onVendorToken(vendor, token) {
    if (this.vendor() !== vendor) return;
    this.pushId = alertPushId(vendor, this.environment(), token);
    this.emit({ event: 'registered', error_code: 0, push_id: this.pushId, message: '' });
    if (this.zim.kind === 'logged_in' && this.pushId !== this.serverPushId) this.bindPush();
  },

  // A notification the OS handed the running app: the vendor's callback, once per message
  // however often it is delivered.
  onNotification(vendor, payload) {
    const notification = this.readNotification(vendor, payload);
    if (!notification) return;
    const event = arrival(vendor);
    if (!event) return;
    if (notification.message_id !== null && !this.store.notifyOnce(notification.message_id)) return;
    this.emit({ event, notification });
  },

  // A tap: `notificationClicked`, without the payload where the vendor keeps it (vivo).
  onNotificationTapped(vendor, payload) {
    const notification = this.readNotification(vendor, payload);
    if (!notification) return;
    if (!clickCarriesPayload(vendor)) notification.payload = '';
    this.emit({ event: 'notification_clicked', notification });
  },

  // Reads the vendor's payload, for the user logged in here (or whose login is under way,
  // or who last logged in) only: one install serves one user. Unreadable: dropped.
  readNotification(vendor, payload) {
    const notification = decode(vendor, payload);
    if (!notification) return null;
    const here = this.user() ?? this.store.lastLogin;
    if (here === null) return null;
    if (notification.to_user !== null && notification.to_user !== here) return null;
    return notification;
  },
};
