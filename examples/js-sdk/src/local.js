'use strict';
// The SDK's local database (port of `client/reference/local.rs`): per-user read positions
// with gap tracking, seen message IDs, the pending logout, whose login last left the
// device, and the IDs of recent notifications. It is what survives an app kill: `toJSON`
// is the `persisted` answer and `LocalStore.load` reads it back at the next launch, in the
// reference's JSON shape, so either SDK can pick up the other's data.

const { convKey, compareConv, compareStr } = require('./wire');

// How many notified message IDs the store keeps (duplicates come long before this many).
const NOTIFIED_KEPT = 256;

// A conversation's read position: `contiguous` is the highest seq held with no gap below
// it; `ahead` holds seqs received beyond a gap. Sync always restarts from `contiguous`.
class ConvCursor {
  constructor(contiguous = 0, ahead = []) {
    this.contiguous = contiguous;
    this.ahead = new Set(ahead);
  }

  mark(seq) {
    if (seq <= this.contiguous) return;
    this.ahead.add(seq);
    while (this.ahead.delete(this.contiguous + 1)) this.contiguous += 1;
  }

  toJSON() {
    const out = { contiguous: this.contiguous };
    if (this.ahead.size) out.ahead = [...this.ahead].sort((a, b) => a - b);
    return out;
  }
}

// One user's data on this install.
class UserStore {
  constructor() {
    this.cursors = new Map(); // canonical conv key string -> { conv, cursor }
    this.seen = new Set();
  }

  // Records a message; true if it is new to this install. Room and command messages
  // (seq 0) have no place in a sequence, so they move no cursor.
  admit(m) {
    if (m.seq > 0) {
      const conv = convKey(m.conv);
      const key = JSON.stringify(conv);
      if (!this.cursors.has(key)) this.cursors.set(key, { conv, cursor: new ConvCursor() });
      this.cursors.get(key).cursor.mark(m.seq);
    }
    if (this.seen.has(m.id)) return false;
    this.seen.add(m.id);
    return true;
  }

  // The conversations in the reference's order (its BTreeMap's), with their cursors.
  sorted() {
    return [...this.cursors.values()].sort((x, y) => compareConv(x.conv, y.conv));
  }

  cursorsForSync() {
    return this.sorted().map(({ conv, cursor }) => ({ conv, seq: cursor.contiguous }));
  }

  toJSON() {
    return {
      cursors: this.sorted().map(({ conv, cursor }) => [conv, cursor.toJSON()]),
      seen: [...this.seen].sort((a, b) => a - b),
    };
  }

  static load(v) {
    const s = new UserStore();
    if (!Array.isArray(v.cursors) || !Array.isArray(v.seen)) throw new Error('bad user store');
    for (const [conv, c] of v.cursors) {
      const k = convKey(conv);
      s.cursors.set(JSON.stringify(k), { conv: k, cursor: new ConvCursor(c.contiguous, c.ahead || []) });
    }
    for (const id of v.seen) s.seen.add(id);
    return s;
  }
}

class LocalStore {
  constructor() {
    this.users = new Map(); // user ID -> UserStore
    // A logout the server has not confirmed: { user, token }. Finished by the next launch.
    this.pendingLogout = null;
    // Whose login last left for the server from here, until a logout or kick-out ends it.
    this.lastLogin = null;
    // The message IDs the app was last told of by a notification callback, oldest first.
    this.notified = [];
  }

  user(id) {
    if (!this.users.has(id)) this.users.set(id, new UserStore());
    return this.users.get(id);
  }

  // Records that the app was told of `id`; false if it already was.
  notifyOnce(id) {
    if (this.notified.includes(id)) return false;
    if (this.notified.length === NOTIFIED_KEPT) this.notified.shift();
    this.notified.push(id);
    return true;
  }

  toJSON() {
    const users = {};
    for (const id of [...this.users.keys()].sort(compareStr)) users[id] = this.users.get(id).toJSON();
    const out = { users };
    if (this.pendingLogout) out.pending_logout = { user: this.pendingLogout.user, token: this.pendingLogout.token };
    if (this.lastLogin !== null) out.last_login = this.lastLogin;
    if (this.notified.length) out.notified = [...this.notified];
    return out;
  }

  // Unreadable data is treated as a fresh install: sync refetches, nothing is lost.
  static load(v) {
    try {
      if (!v || typeof v !== 'object' || !v.users || typeof v.users !== 'object') return new LocalStore();
      const s = new LocalStore();
      for (const [id, u] of Object.entries(v.users)) s.users.set(id, UserStore.load(u));
      const p = v.pending_logout;
      if (p) s.pendingLogout = { user: p.user, token: p.token };
      if (typeof v.last_login === 'string') s.lastLogin = v.last_login;
      if (Array.isArray(v.notified)) s.notified = [...v.notified];
      return s;
    } catch {
      return new LocalStore();
    }
  }
}

module.exports = { LocalStore, UserStore, ConvCursor, NOTIFIED_KEPT };
