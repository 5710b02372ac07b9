#!/usr/bin/env node
'use strict';
// A deliberately broken copy of the SDK, for checking that the conformance suite catches
// the bug (`logout-clears-pushid` must fail). It changes ONE behaviour: `logout` with a
// session up reports success at once and just closes the connection, without sending
// `logout` to the server. The server sees only a dropped link, so the user's PushID stays
// bound to this install and the logged-out phone keeps getting that user's pushes.
// Everything else, protocol included, is the real SDK.

const { SdkCore } = require('../src/core');
const { main } = require('../bin/zimsim-sdk');

SdkCore.prototype.logoutLoggedIn = function logoutWithoutTellingTheServer(now, user) {
  this.becomeLoggedOut(); // closes the connection: no `logout` frame, no unbind
  this.emit({ event: 'logged_out', user });
  this.state('disconnected', 'success');
  this.afterLogout(now);
};

main({ name: 'zimsim-js-sdk 0.1.0 (broken: no unbind on logout)' });
