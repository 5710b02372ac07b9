'use strict';
// The golden-transcript test: transcripts of the Rust reference SDK, recorded by
// `zimsim conformance --sdk reference --record DIR` (a few representative ones copied into
// fixtures/), replayed input by input through this SDK's adapter. Every answer must equal
// the reference's (JSON deep-equal): the same outputs in the same order, the same request
// numbers, the same timeouts, the same persisted data. Only `ready`'s name differs.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { replay, transcripts } = require('../tools/replay');

const fixtures = transcripts(path.join(__dirname, 'fixtures'));

test('there are golden transcripts', () => {
  assert.ok(fixtures.length >= 10, `only ${fixtures.length} fixtures`);
});

for (const file of fixtures) {
  test(`golden: ${path.basename(file, '.jsonl')}`, () => {
    const r = replay(file);
    if (r) {
      assert.fail(
        `answer on line ${r.line} differs\n  sent:     ${r.sent}\n  expected: ${JSON.stringify(r.expected)}\n  actual:   ${typeof r.actual === 'string' ? r.actual : JSON.stringify(r.actual)}`,
      );
    }
  });
}
