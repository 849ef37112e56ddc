package js

import "testing"

func TestEncodingBase64Variants(t *testing.T) {
	expectAllPass(t, `
import encoding, { b64encode, b64decode } from 'k6/encoding';
import { check } from 'k6';
export default function () {
  const bytes = new Uint8Array([0xfb, 0xff, 0xfe, 0x41]);
  check(null, {
    'std default': () => b64encode('hello world') === 'aGVsbG8gd29ybGQ=',
    'std named': () => encoding.b64encode('hello world', 'std') === 'aGVsbG8gd29ybGQ=',
    'rawstd': () => b64encode('hello world', 'rawstd') === 'aGVsbG8gd29ybGQ',
    'url keeps padding': () => b64encode(bytes.buffer, 'url') === '-__-QQ==',
    'rawurl': () => b64encode(bytes.buffer, 'rawurl') === '-__-QQ',
    'std of binary': () => b64encode(bytes.buffer) === '+//+QQ==',
    'typed array input': () => b64encode(bytes) === '+//+QQ==',
    'utf-8 string': () => b64encode('é') === 'w6k=',
    'decode to string': () => b64decode('aGVsbG8gd29ybGQ=', 'std', 's') === 'hello world',
    'decode rawurl to ArrayBuffer': () => {
      const ab = b64decode('-__-QQ', 'rawurl');
      const v = new Uint8Array(ab);
      return ab instanceof ArrayBuffer && v.length === 4 && v[0] === 0xfb && v[3] === 0x41;
    },
    'decode an ArrayBuffer of base64': () => b64decode(new Uint8Array([89, 81, 61, 61]).buffer, 'std', 's') === 'a',
    'decode rejects bad input': () => { try { b64decode('!!!'); return false; } catch (e) { return String(e).includes('b64decode'); } },
  });
}`, 12)
}
