// Local ES and CommonJS modules, require() of a built-in, the throng/…
// alias of every k6 module, and open() of a file next to the script.
import { double } from './lib/esm.js';
import { check as throngCheck } from 'throng';
const { triple } = require('./lib/cjs.js');
const k6 = require('k6');

const text = open('./data/payload.txt');
const bin = open('./data/payload.txt', 'b');

export default function () {
  k6.check(null, {
    'local ES module': () => double(2) === 4,
    'local CommonJS module': () => triple(2) === 6,
    'require of a built-in': () => typeof k6.sleep === 'function',
    'open() text and binary': () => text === 'hello\n' && bin.byteLength === 6,
  });
  throngCheck(null, { 'throng alias': true });
}
