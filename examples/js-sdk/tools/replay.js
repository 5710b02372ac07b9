'use strict';
// Replays transcripts of the reference SDK (`zimsim conformance --sdk reference --record
// DIR`: odd lines harness -> SDK, even lines the reference's answers) through this SDK's
// adapter, in process, and compares each answer with the recorded one (JSON deep-equal;
// the SDK's `name` in `ready` is its own). Used by the golden test, and by hand:
//
//   node examples/js-sdk/tools/replay.js DIR_OR_FILE...     (prints the first mismatch of each)

const fs = require('node:fs');
const path = require('node:path');
const assert = require('node:assert');
const { Session } = require('../bin/zimsim-sdk');

// Replays one transcript; returns null, or {line, sent, expected, actual} at the first
// answer that differs.
function replay(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
  const session = new Session();
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const sent = JSON.parse(lines[i]);
    const expected = JSON.parse(lines[i + 1]);
    let actual;
    try {
      actual = session.handle(sent);
    } catch (e) {
      return { line: i + 2, sent: lines[i], expected, actual: `threw ${e.stack}` };
    }
    if (expected.type === 'ready') expected.name = actual.name;
    try {
      assert.deepStrictEqual(JSON.parse(JSON.stringify(actual)), expected);
    } catch {
      return { line: i + 2, sent: lines[i], expected, actual };
    }
  }
  return null;
}

function transcripts(p) {
  if (fs.statSync(p).isFile()) return [p];
  return fs
    .readdirSync(p)
    .sort()
    .flatMap((n) => transcripts(path.join(p, n)));
}

module.exports = { replay, transcripts };

if (require.main === module) {
  let bad = 0;
  let total = 0;
  for (const f of process.argv.slice(2).flatMap(transcripts)) {
    total += 1;
    const r = replay(f);
    if (r) {
      bad += 1;
      console.log(`${f}:${r.line}\n  sent:     ${r.sent.slice(0, 600)}\n  expected: ${JSON.stringify(r.expected).slice(0, 1500)}\n  actual:   ${typeof r.actual === 'string' ? r.actual : JSON.stringify(r.actual).slice(0, 1500)}`);
    }
  }
  console.log(`${total - bad}/${total} transcripts match`);
  process.exitCode = bad ? 1 : 0;
}
