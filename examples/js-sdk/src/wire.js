'use strict';
// The ZIM client protocol's vocabulary as the SDK needs it: documented limits, error
// codes, ID rules and the pre-send check (a port of `wire::check_send` and `ids.rs`), plus
// the canonical JSON shapes of what the SDK puts on the wire. The Rust types are serde
// types; the helpers here build exactly the JSON they serialize to (which fields are
// always present, which are left out when empty), so a frame from this SDK and one from
// the reference are the same JSON.

const limits = Object.freeze({
  RESOURCES_ID_MAX_CHARS: 32,
  TEXT_MAX_BYTES: 32 * 1024,
  COMMAND_MAX_BYTES: 5 * 1024,
  EXTENDED_DATA_MAX_BYTES: 1024,
  CUSTOM_SUB_TYPE_MAX: 200,
  SEARCHED_CONTENT_MAX_BYTES: 64,
  SENDS_PER_SECOND: 10,
  PUSH_CONFIG_MAX_BYTES: 2 * 1024,
});

// ZIM's error codes (docs/protocol.md), the ones the SDK reports itself.
const ErrorCode = Object.freeze({
  ParamInvalid: 6000001,
  ClientRateLimited: 6000004,
  DisconnectedWhileSending: 6000009,
  NetworkError: 6000104,
  TokenExpired: 6000106,
  UserHasAlreadyLogged: 6000111,
  UserIsNotLogged: 6000121,
});

const bytes = (s) => Buffer.byteLength(s, 'utf8');

// Rust's `{c:?}` for a char, which the reference puts in its error messages.
function debugChar(c) {
  const special = { "'": "\\'", '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };
  if (special[c]) return `'${special[c]}'`;
  const cp = c.codePointAt(0);
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return `'\\u{${cp.toString(16)}}'`;
  return `'${c}'`;
}

const USER_ID_SYMBOLS = '!#$%&()+-:;<=.>?@[]^_{}|~';
const idChar = (c) => /^[0-9A-Za-z]$/.test(c) || USER_ID_SYMBOLS.includes(c);

// Throws the reference's message when `id` breaks ZIM's ID rule.
function validateId(what, id, max) {
  if (id.length === 0) throw new Error(`${what} is empty`);
  if (bytes(id) > max) throw new Error(`${what} is ${bytes(id)} bytes, the limit is ${max}`);
  for (const c of id) {
    if (!idChar(c)) throw new Error(`${what} contains ${debugChar(c)}, which ZIM does not allow`);
  }
}
const validateUserId = (id) => validateId('userID', id, 32);
function validateGroupId(id) {
  validateId('groupID', id, 32);
  if (id.startsWith('#')) throw new Error("groupID starts with '#', which only server-generated IDs do");
}
const validateRoomId = (id) => validateId('roomID', id, 128);

// --- canonical JSON shapes -------------------------------------------------------------

// `MessageBody`: text, command or custom (custom's searched_content left out when empty).
function body(b) {
  if (!b || typeof b !== 'object') return { type: 'text', text: '' };
  switch (b.type) {
    case 'command':
      return { type: 'command', data: b.data ?? '' };
    case 'custom': {
      const out = { type: 'custom', message: b.message ?? '', sub_type: b.sub_type ?? 0 };
      if (b.searched_content) out.searched_content = b.searched_content;
      return out;
    }
    default:
      return { type: 'text', text: b.text ?? '' };
  }
}

// `PushConfig` (`ZIMPushConfig`): title, content and payload always; the rest only when set.
function pushConfig(p) {
  if (p === null || p === undefined) return null;
  const out = { title: p.title ?? '', content: p.content ?? '', payload: p.payload ?? '' };
  if (p.resources_id) out.resources_id = p.resources_id;
  if (p.enable_badge) out.enable_badge = true;
  if (p.badge_increment) out.badge_increment = p.badge_increment;
  if (p.voip !== null && p.voip !== undefined) {
    out.voip = {
      handle_type: p.voip.handle_type ?? 0,
      handle_value: p.voip.handle_value ?? '',
      has_video: p.voip.has_video ?? false,
    };
  }
  return out;
}

// `Outgoing`: the message a send hands over (as the `send` frame flattens it).
function outgoing({ to, conv_type, body: b, extended_data, priority, push }) {
  const out = { to, conv_type: conv_type || 'peer', body: body(b) };
  if (extended_data) out.extended_data = extended_data;
  out.priority = priority ?? 1;
  const p = pushConfig(push);
  if (p) out.push = p;
  return out;
}

// `OfflinePushRule`: both lists, always.
const pushRule = (r) => ({
  online_platforms: [...((r && r.online_platforms) || [])],
  not_to_receive_offline_push_platforms: [...((r && r.not_to_receive_offline_push_platforms) || [])],
});

// `wire::check_send`: the rule a message breaks, or null. Sent only when null.
function checkSend(from, m, maxText) {
  try {
    switch (m.conv_type) {
      case 'group':
        validateGroupId(m.to.startsWith('#') ? m.to.slice(1) : m.to);
        break;
      case 'room':
        validateRoomId(m.to);
        break;
      default:
        validateUserId(m.to);
        if (from === m.to) {
          throw new Error('a message cannot be sent to yourself (toConversationID is your own userID)');
        }
    }
  } catch (e) {
    return e.message;
  }
  const within = (what, len, max) => (len === 0 || len > max ? `${what} is ${len} bytes; it must be 1..=${max} bytes` : null);
  const b = m.body;
  let why = null;
  if (b.type === 'text') why = within('text', bytes(b.text), maxText);
  else if (b.type === 'command') why = within('command data', bytes(b.data), limits.COMMAND_MAX_BYTES);
  else {
    why = within('custom message', bytes(b.message), maxText);
    if (!why && b.sub_type > limits.CUSTOM_SUB_TYPE_MAX) {
      why = `subType ${b.sub_type} is out of 0..=${limits.CUSTOM_SUB_TYPE_MAX}`;
    }
    const sc = bytes(b.searched_content || '');
    if (!why && sc > limits.SEARCHED_CONTENT_MAX_BYTES) {
      why = `searchedContent is ${sc} bytes; the limit is ${limits.SEARCHED_CONTENT_MAX_BYTES}`;
    }
  }
  if (why) return why;
  const ext = bytes(m.extended_data || '');
  if (ext > limits.EXTENDED_DATA_MAX_BYTES) {
    return `extendedData is ${ext} bytes; the limit is ${limits.EXTENDED_DATA_MAX_BYTES}`;
  }
  if (!(m.priority >= 1 && m.priority <= 3)) {
    return `priority ${m.priority} is not 1 (low), 2 (medium) or 3 (high)`;
  }
  if (m.push) {
    const chars = [...(m.push.resources_id || '')].length;
    if (chars > limits.RESOURCES_ID_MAX_CHARS) {
      return `resourcesID is ${chars} characters; the limit is ${limits.RESOURCES_ID_MAX_CHARS}`;
    }
    const len = bytes(m.push.title) + bytes(m.push.content) + bytes(m.push.payload);
    if (len > limits.PUSH_CONFIG_MAX_BYTES) {
      return `push config title, content and payload are ${len} bytes together; the limit is ${limits.PUSH_CONFIG_MAX_BYTES}`;
    }
  }
  return null;
}

// UTF-8 byte order, as Rust compares strings (JS compares UTF-16 code units).
const compareStr = (a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

// `ConvKey`: rebuilt canonically, and ordered as its derived `Ord` (peer < group < room).
function convKey(c) {
  return c.type === 'peer' ? { type: 'peer', a: c.a, b: c.b } : { type: c.type, id: c.id };
}
const CONV_RANK = { peer: 0, group: 1, room: 2 };
function compareConv(x, y) {
  if (x.type !== y.type) return CONV_RANK[x.type] - CONV_RANK[y.type];
  if (x.type === 'peer') return compareStr(x.a, y.a) || compareStr(x.b, y.b);
  return compareStr(x.id, y.id);
}
// The peer conversation between two users, whichever side names it.
function peerConv(x, y) {
  const [a, b] = compareStr(x, y) <= 0 ? [x, y] : [y, x];
  return { type: 'peer', a, b };
}

module.exports = {
  limits,
  ErrorCode,
  checkSend,
  outgoing,
  pushConfig,
  pushRule,
  body,
  convKey,
  compareConv,
  compareStr,
  peerConv,
  validateUserId,
};
