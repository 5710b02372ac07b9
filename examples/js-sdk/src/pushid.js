'use strict';
// The PushID string (port of `reference/src/pushid.rs`): ZPNs' handle for "this install,
// through this vendor, in this environment", built by the SDK from the OS's token.
//
//   zp1.<vendor>.<environment>.<vendor token>        alert token
//   zp1.apns.voip.<environment>.<PushKit token>      iOS VoIP token
//
// The SDK only builds PushIDs; the relay parses them. Two PushIDs are the same exactly when
// their strings are, so the SDK keeps them as strings.

const VENDORS = Object.freeze(['apns', 'fcm', 'hms', 'mi', 'oppo', 'vivo']);

function alertPushId(vendor, environment, token) {
  return `zp1.${vendor}.${environment}.${token}`;
}

function voipPushId(environment, token) {
  return `zp1.apns.voip.${environment}.${token}`;
}

// The vendor a PushID names (the second dot-separated field).
function vendorOf(pushId) {
  return pushId.split('.')[1];
}

module.exports = { VENDORS, alertPushId, voipPushId, vendorOf };
