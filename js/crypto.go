package js

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"sort"
	"strings"

	"github.com/dop251/goja"
)

// hashes are the algorithms of k6/crypto, by k6's names.
var hashes = map[string]func() hash.Hash{
	"md5":        md5.New,
	"sha1":       sha1.New,
	"sha256":     sha256.New,
	"sha384":     sha512.New384,
	"sha512":     sha512.New,
	"sha512_224": sha512.New512_224,
	"sha512_256": sha512.New512_256,
}

// cryptoModule is `k6/crypto`: one function per hash algorithm,
// createHash/createHMAC for incremental hashing, hmac, randomBytes and
// hexEncode, with k6's argument and output conventions.
func cryptoModule(vu *VU) map[string]any {
	m := map[string]any{
		"createHash": func(c goja.FunctionCall) goja.Value {
			return vu.hasher(vu.newHash(c.Argument(0).String()))
		},
		"createHMAC": func(c goja.FunctionCall) goja.Value {
			return vu.hasher(vu.newHMAC(c.Argument(0).String(), c.Argument(1)))
		},
		"hmac": func(c goja.FunctionCall) goja.Value {
			h := vu.newHMAC(c.Argument(0).String(), c.Argument(1))
			h.Write(vu.bytesArg("hmac", c.Argument(2)))
			return vu.digest(h.Sum(nil), c.Argument(3))
		},
		"randomBytes": func(c goja.FunctionCall) goja.Value {
			n := c.Argument(0).ToInteger()
			if n < 0 || n > 1<<30 {
				vu.throw("randomBytes: invalid size %d", n)
			}
			b := make([]byte, n)
			_, _ = rand.Read(b) // never fails (crypto/rand)
			return vu.rt.ToValue(vu.rt.NewArrayBuffer(b))
		},
		"hexEncode": func(c goja.FunctionCall) goja.Value {
			return vu.rt.ToValue(hex.EncodeToString(vu.bytesArg("hexEncode", c.Argument(0))))
		},
	}
	for name := range hashes {
		m[name] = func(c goja.FunctionCall) goja.Value {
			h := vu.newHash(name)
			h.Write(vu.bytesArg(name, c.Argument(0)))
			return vu.digest(h.Sum(nil), c.Argument(1))
		}
	}
	return m
}

func (vu *VU) newHash(alg string) hash.Hash {
	newHash, ok := hashes[alg]
	if !ok {
		vu.throw("invalid algorithm %q: k6/crypto has %s", alg, hashNames())
	}
	return newHash()
}

func (vu *VU) newHMAC(alg string, key goja.Value) hash.Hash {
	newHash, ok := hashes[alg]
	if !ok {
		vu.throw("invalid algorithm %q: k6/crypto has %s", alg, hashNames())
	}
	return hmac.New(newHash, vu.bytesArg("hmac key", key))
}

func hashNames() string {
	names := make([]string, 0, len(hashes))
	for n := range hashes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// hasher is k6's Hasher: update(input) adds data, digest(encoding) returns
// the hash of everything added so far.
func (vu *VU) hasher(h hash.Hash) goja.Value {
	obj := vu.rt.NewObject()
	_ = obj.Set("update", func(c goja.FunctionCall) goja.Value {
		h.Write(vu.bytesArg("update", c.Argument(0)))
		return obj // k6 returns nothing; returning the hasher allows chaining
	})
	_ = obj.Set("digest", func(c goja.FunctionCall) goja.Value {
		return vu.digest(h.Sum(nil), c.Argument(0))
	})
	return obj
}

// digest encodes a hash as k6 does: hex, base64, base64url (padded),
// base64rawurl, or binary (an ArrayBuffer).
func (vu *VU) digest(sum []byte, encoding goja.Value) goja.Value {
	switch enc := optionalString(encoding); enc {
	case "hex":
		return vu.rt.ToValue(hex.EncodeToString(sum))
	case "base64":
		return vu.rt.ToValue(base64.StdEncoding.EncodeToString(sum))
	case "base64url":
		return vu.rt.ToValue(base64.URLEncoding.EncodeToString(sum))
	case "base64rawurl":
		return vu.rt.ToValue(base64.RawURLEncoding.EncodeToString(sum))
	case "binary":
		return vu.rt.ToValue(vu.rt.NewArrayBuffer(sum))
	default:
		vu.throw("invalid output encoding %q: use hex, base64, base64url, base64rawurl or binary", enc)
		return nil
	}
}
