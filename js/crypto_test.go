package js

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

func TestCryptoHashesAndEncodings(t *testing.T) {
	sum := sha256.Sum256([]byte("hello world!"))
	mac := hmac.New(sha256.New, []byte("secret"))
	mac.Write([]byte("hello world!"))
	macSum := mac.Sum(nil)
	s512_224 := sha512.Sum512_224([]byte("abc"))
	src := `
import crypto, { sha256, md5, sha1, hmac, createHash, createHMAC, randomBytes, hexEncode } from 'k6/crypto';
import { check } from 'k6';
export default function () {
  check(null, {
    'md5 of empty': () => md5('', 'hex') === 'd41d8cd98f00b204e9800998ecf8427e',
    'sha1 of abc': () => sha1('abc', 'hex') === 'a9993e364706816aba3e25717850c26c9cd0d89d',
    'sha256 hex': () => sha256('hello world!', 'hex') === 'HEX',
    'sha256 base64': () => crypto.sha256('hello world!', 'base64') === 'B64',
    'sha256 base64url': () => sha256('hello world!', 'base64url') === 'B64URL',
    'sha256 base64rawurl': () => sha256('hello world!', 'base64rawurl') === 'B64RAWURL',
    'sha256 binary': () => { const b = sha256('hello world!', 'binary'); return b instanceof ArrayBuffer && b.byteLength === 32 && hexEncode(b) === 'HEX'; },
    'sha512_224': () => crypto.sha512_224('abc', 'hex') === 'S512_224',
    'sha384 length': () => crypto.sha384('x', 'hex').length === 96,
    'sha512 length': () => crypto.sha512('x', 'hex').length === 128,
    'sha512_256 length': () => crypto.sha512_256('x', 'hex').length === 64,
    'hash of ArrayBuffer': () => sha256(new Uint8Array([104,101,108,108,111,32,119,111,114,108,100,33]).buffer, 'hex') === 'HEX',
    'createHash incremental': () => { const h = createHash('sha256'); h.update('hello '); h.update('world!'); return h.digest('hex') === 'HEX'; },
    'hmac': () => hmac('sha256', 'secret', 'hello world!', 'hex') === 'MAC',
    'createHMAC': () => { const h = createHMAC('sha256', 'secret'); h.update('hello world!'); return h.digest('hex') === 'MAC'; },
    'randomBytes': () => { const b = randomBytes(16); return b instanceof ArrayBuffer && b.byteLength === 16 && hexEncode(b) !== hexEncode(randomBytes(16)); },
    'hexEncode string': () => hexEncode('AB') === '4142',
    'bad encoding throws': () => { try { sha256('x', 'nope'); return false; } catch (e) { return String(e).includes('invalid output encoding'); } },
    'bad algorithm throws': () => { try { createHash('sha3'); return false; } catch (e) { return String(e).includes('invalid algorithm'); } },
  });
}`
	src = strings.NewReplacer(
		"'HEX'", "'"+hex.EncodeToString(sum[:])+"'",
		"'B64'", "'"+base64.StdEncoding.EncodeToString(sum[:])+"'",
		"'B64URL'", "'"+base64.URLEncoding.EncodeToString(sum[:])+"'",
		"'B64RAWURL'", "'"+base64.RawURLEncoding.EncodeToString(sum[:])+"'",
		"'MAC'", "'"+hex.EncodeToString(macSum)+"'",
		"'S512_224'", "'"+hex.EncodeToString(s512_224[:])+"'",
	).Replace(src)
	expectAllPass(t, src, 19)
}
