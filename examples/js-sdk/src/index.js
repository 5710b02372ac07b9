'use strict';
// The SDK's entry point: the RN-shaped API (`ZPNs`, `ZIM`, their enums), the platform's
// `launch`, and the sans-IO core for hosts that want it directly.

const api = require('./api');
const enums = require('./enums');
const { SdkCore } = require('./core');

module.exports = {
  NAME: 'zimsim-js-sdk 0.1.0',
  launch: api.launch,
  ZIM: api.ZIM,
  ZPNs: api.ZPNs,
  SdkCore,
  ...enums,
};
