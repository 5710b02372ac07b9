'use strict';
// What the SDK's vendor integrations read out of a delivered push (port of
// `push_services/<vendor>/decode.rs` and the `arrival` / `click_carries_payload` tables of
// `push_services/mod.rs`). Each decoder takes the payload exactly as the vendor delivered
// it and returns the `Notification` the app sees ({title, content, payload, message_id,
// to_user, badge?}), or null for a payload it cannot read (dropped).
//
// serde_json's `Value::get` is modelled by `get`: a key of an object (null when the key
// holds JSON null), `undefined` when absent or when the value is not an object at all. The
// difference matters: Rust's `or_else` falls back only on a missing key.

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const get = (v, k) => (isObject(v) && Object.prototype.hasOwnProperty.call(v, k) ? v[k] : undefined);
const pointer = (v, path) => path.reduce((acc, k) => (acc === undefined ? undefined : get(acc, k)), v);
const str = (v) => (typeof v === 'string' ? v : undefined);
const text = (v) => str(v) ?? '';
const U32_MAX = 4294967295;
// `as_u64`, capped to u32 as the decoders do.
const asU32 = (v) => (Number.isInteger(v) && v >= 0 ? Math.min(v, U32_MAX) : undefined);
// `str::parse::<u32>()`: an optional '+', digits, within u32.
function parseU32(s) {
  if (typeof s !== 'string' || !/^\+?[0-9]+$/.test(s)) return undefined;
  const n = Number(s.replace(/^\+/, ''));
  return n <= U32_MAX ? n : undefined;
}
function parseJson(s) {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

const isUserId = (v) => typeof v === 'string';
function isConv(c) {
  if (!isObject(c)) return false;
  if (c.type === 'peer') return isUserId(c.a) && isUserId(c.b);
  return (c.type === 'group' || c.type === 'room') && typeof c.id === 'string';
}
// `ZimExtras::from_json`: the ZIM fields the relay put in every push, or undefined.
function zimExtras(v) {
  if (!isObject(v)) return undefined;
  if (!(Number.isInteger(v.message_id) && v.message_id >= 0)) return undefined;
  if (!isUserId(v.to) || !isUserId(v.from) || !isConv(v.conv)) return undefined;
  if (v.resources_id !== undefined && typeof v.resources_id !== 'string') return undefined;
  if (v.voip !== undefined && v.voip !== null) {
    const x = v.voip;
    if (!isObject(x)) return undefined;
    if (x.handle_type !== undefined && !(Number.isInteger(x.handle_type) && x.handle_type >= 0 && x.handle_type <= 255)) return undefined;
    if (x.handle_value !== undefined && typeof x.handle_value !== 'string') return undefined;
    if (x.has_video !== undefined && typeof x.has_video !== 'boolean') return undefined;
  }
  return v;
}
const zimExtrasStr = (s) => (typeof s === 'string' ? zimExtras(parseJson(s)) : undefined);

// `Notification::new`: badge is left out when there is none.
function notification(title, content, payload, zim, badge) {
  const n = {
    title,
    content,
    payload,
    message_id: zim ? zim.message_id : null,
    to_user: zim ? zim.to : null,
  };
  if (badge !== undefined) n.badge = badge;
  return n;
}

// APNs `userInfo`: `aps.alert` (dictionary or plain body string), `aps.badge`, and the
// relay's top-level `payload` and `zim`.
function apns(payload) {
  const aps = get(payload, 'aps');
  if (!isObject(aps)) return null;
  const alert = get(aps, 'alert');
  let title = '';
  let content = '';
  if (typeof alert === 'string') content = alert;
  else if (alert !== undefined) [title, content] = [text(get(alert, 'title')), text(get(alert, 'body'))];
  const zim = zimExtras(get(payload, 'zim'));
  return notification(title, content, text(get(payload, 'payload')), zim, asU32(get(aps, 'badge')));
}

// An FCM data message: no `notification` for the system to show.
const isFcmData = (m) => get(m, 'notification') === undefined && pointer(m, ['android', 'notification']) === undefined;

// FCM `RemoteMessage`: `notification` title and body, the string `data` map (`payload`,
// `zim` as a JSON string); a data message carries title, body and badge in `data`.
function fcm(message) {
  const data = get(message, 'data');
  if (get(message, 'notification') === undefined && data === undefined) return null;
  const field = (k) => (data === undefined ? undefined : get(data, k));
  const zim = zimExtrasStr(str(field('zim')));
  let title;
  let body;
  let badge;
  if (isFcmData(message)) {
    badge = parseU32(str(field('badge')));
    [title, body] = [text(field('title')), text(field('body'))];
  } else {
    badge = asU32(pointer(message, ['android', 'notification', 'notification_count']));
    [title, body] = [text(pointer(message, ['notification', 'title'])), text(pointer(message, ['notification', 'body']))];
  }
  return notification(title, body, text(field('payload')), zim, badge);
}

// HMS Push Kit: `android.notification` (else the cross-platform `notification`), the `data`
// string (`android.data` wins) holding {payload, zim}, the badge in `badge.set_num`.
function hms(message) {
  const android = get(message, 'android');
  const shown = android === undefined ? undefined : get(android, 'notification');
  let dataV = android === undefined ? undefined : get(android, 'data');
  if (dataV === undefined) dataV = get(message, 'data');
  const dataStr = str(dataV);
  if (shown === undefined && get(message, 'notification') === undefined && dataStr === undefined) return null;
  const textOf = (k) => {
    let v = shown === undefined ? undefined : get(shown, k);
    if (v === undefined) {
      const n = get(message, 'notification');
      v = n === undefined ? undefined : get(n, k);
    }
    return text(v);
  };
  const data = dataStr === undefined ? undefined : parseJson(dataStr);
  const payload = text(get(data, 'payload'));
  const zim = zimExtras(get(data, 'zim'));
  const badge = asU32(pointer(shown, ['badge', 'set_num']));
  return notification(textOf('title'), textOf('body'), payload, zim, badge);
}

// MiPush `MiPushMessage`: title, description, payload, and `extra` (zim, badge as strings).
function mi(message) {
  if (get(message, 'pass_through') === undefined) return null;
  const extra = (k) => str(get(get(message, 'extra'), k));
  const zim = zimExtrasStr(extra('zim'));
  const badge = parseU32(extra('badge'));
  return notification(text(get(message, 'title')), text(get(message, 'description')), text(get(message, 'payload')), zim, badge);
}

// OPPO: `title`, `content`, and `action_parameters` (a JSON string: payload, zim). No badge.
function oppo(n) {
  const title = str(get(n, 'title'));
  const content = str(get(n, 'content'));
  if (title === undefined || content === undefined) return null;
  const raw = str(get(n, 'action_parameters'));
  const params = raw === undefined ? null : (parseJson(raw) ?? null);
  const payload = text(get(params, 'payload'));
  return notification(title, content, payload, zimExtras(get(params, 'zim')), undefined);
}

// vivo: `title`, `content`, `clientCustomMap` (string values: payload, zim). No badge.
function vivo(n) {
  const title = str(get(n, 'title'));
  const content = str(get(n, 'content'));
  if (title === undefined || content === undefined) return null;
  const custom = get(n, 'clientCustomMap');
  const field = (k) => str(get(custom, k));
  return notification(title, content, field('payload') ?? '', zimExtrasStr(field('zim')), undefined);
}

const DECODERS = { apns, fcm, hms, mi, oppo, vivo };

function decode(vendor, payload) {
  const d = DECODERS[vendor];
  return d ? d(payload) : null;
}

// Which callback a vendor's hand-over raises: APNs and Mi `notificationArrived`, FCM
// `throughMessageReceived`; HMS, OPPO and vivo hand nothing over (null).
function arrival(vendor) {
  if (vendor === 'apns' || vendor === 'mi') return 'notification_arrived';
  if (vendor === 'fcm') return 'through_message_received';
  return null;
}

// vivo hands its custom fields to the launched activity, not to the click callback.
const clickCarriesPayload = (vendor) => vendor !== 'vivo';

module.exports = { decode, arrival, clickCarriesPayload, isFcmData };
