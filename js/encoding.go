package js

import (
	"encoding/base64"
	"fmt"

	"github.com/dop251/goja"
)

// encodingModule is `k6/encoding`: base64 in the four variants k6 names.
func encodingModule(vu *VU) map[string]any {
	return map[string]any{
		"b64encode": func(c goja.FunctionCall) goja.Value {
			data := vu.bytesArg("b64encode", c.Argument(0))
			enc := base64Variant(optionalString(c.Argument(1)))
			return vu.rt.ToValue(enc.EncodeToString(data))
		},
		"b64decode": func(c goja.FunctionCall) goja.Value {
			enc := base64Variant(optionalString(c.Argument(1)))
			out, err := enc.DecodeString(string(vu.bytesArg("b64decode", c.Argument(0))))
			if err != nil {
				vu.throw("b64decode: %v", err)
			}
			if optionalString(c.Argument(2)) == "s" {
				return vu.rt.ToValue(string(out))
			}
			return vu.rt.ToValue(vu.rt.NewArrayBuffer(out))
		},
	}
}

// base64Variant maps k6's encoding names to Go's encodings. As in k6, an
// unknown or missing name means std.
func base64Variant(name string) *base64.Encoding {
	switch name {
	case "rawstd":
		return base64.RawStdEncoding
	case "url":
		return base64.URLEncoding
	case "rawurl":
		return base64.RawURLEncoding
	}
	return base64.StdEncoding
}

// optionalString is v as a string, or "" for undefined and null.
func optionalString(v goja.Value) string {
	if !present(v) {
		return ""
	}
	return v.String()
}

// bytesArg reads data as k6 modules take it: a string (its UTF-8 bytes),
// an ArrayBuffer, a typed array or DataView (the bytes it views), or an
// array of byte values. It throws, naming fn, for anything else.
func (vu *VU) bytesArg(fn string, v goja.Value) []byte {
	b, err := vu.toBytes(v)
	if err != nil {
		vu.throw("%s: %v", fn, err)
	}
	return b
}

func (vu *VU) toBytes(v goja.Value) ([]byte, error) {
	if !present(v) {
		return nil, fmt.Errorf("the input is %s; want a string or an ArrayBuffer", v)
	}
	switch x := v.Export().(type) {
	case string:
		return []byte(x), nil
	case goja.ArrayBuffer:
		return x.Bytes(), nil
	case []byte:
		return x, nil
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		return []byte(v.String()), nil
	}
	if buf, ok := exportOf(obj.Get("buffer")).(goja.ArrayBuffer); ok { // a typed array or DataView
		off, n := obj.Get("byteOffset").ToInteger(), obj.Get("byteLength").ToInteger()
		all := buf.Bytes()
		if off < 0 || n < 0 || off+n > int64(len(all)) {
			return nil, fmt.Errorf("the input's view lies outside its buffer")
		}
		return all[off : off+n], nil
	}
	if obj.ClassName() == "Array" {
		n := obj.Get("length").ToInteger()
		out := make([]byte, n)
		for i := range out {
			out[i] = byte(obj.Get(fmt.Sprint(i)).ToInteger())
		}
		return out, nil
	}
	return nil, fmt.Errorf("the input is a %s; want a string or an ArrayBuffer", obj.ClassName())
}

// exportOf is v.Export(), nil for a missing property.
func exportOf(v goja.Value) any {
	if v == nil {
		return nil
	}
	return v.Export()
}
