#!/usr/bin/env node
'use strict';
// A deliberately broken copy of the SDK, for checking that the conformance suite catches
// the bug (`debug-pushid-isolation` must fail). It changes ONE behaviour: the PushID is
// always labelled `development`, whatever the build, `iOSEnvironment` or `enableDebug`
// say. A release build's token (issued under the production credentials) then travels as a
// development PushID, so the relay sends it through the APNs sandbox or the debug FCM /
// vendor app: production tokens pushed through development endpoints.
// Everything else, protocol included, is the real SDK.

const { SdkCore } = require('../src/core');
const { main } = require('../bin/zimsim-sdk');

SdkCore.prototype.environment = function alwaysDevelopment() {
  return 'development';
};

main({ name: 'zimsim-js-sdk 0.1.0 (broken: debug push on release)' });
