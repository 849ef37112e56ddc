package js

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// As k6, throng sends no Accept-Encoding of its own, and decodes a body
// whose Content-Encoding is gzip, deflate (zlib, as HTTP means it), br or
// zstd, so that scripts that ask for compression see the text. The
// params.compression of a request compresses its body the same ways.

// decodeError marks a body that could not be decoded (k6's error 1701).
type decodeError struct{ err error }

func (e *decodeError) Error() string { return "decompressing the response body: " + e.err.Error() }

// zstdDecoder is shared: DecodeAll may be called from many goroutines,
// and a decoder is expensive to make.
var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
})

// decodeBody undoes the encodings of a Content-Encoding header, last
// applied first. Unknown encodings are left as they are, as k6 does.
func decodeBody(body []byte, header []string) ([]byte, error) {
	encodings := encodingList(header)
	for i := len(encodings) - 1; i >= 0; i-- {
		var err error
		if body, err = decodeOne(body, encodings[i]); err != nil {
			return nil, err
		}
	}
	return body, nil
}

func encodingList(header []string) []string {
	var out []string
	for _, h := range header {
		for e := range strings.SplitSeq(h, ",") {
			if e = strings.ToLower(strings.TrimSpace(e)); e != "" && e != "identity" {
				out = append(out, e)
			}
		}
	}
	return out
}

func decodeOne(body []byte, encoding string) ([]byte, error) {
	var r io.Reader
	switch encoding {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	case "deflate":
		zr, err := zlib.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	case "zstd":
		d, err := zstdDecoder()
		if err != nil {
			return nil, err
		}
		return d.DecodeAll(body, nil)
	default:
		return body, nil
	}
	return io.ReadAll(r)
}

// compressBody compresses a request body with the params.compression
// list ("gzip", "br, gzip", …), first listed first applied, and returns
// the Content-Encoding that says so.
func compressBody(body []byte, spec string) ([]byte, string, error) {
	encodings := encodingList([]string{spec})
	for _, e := range encodings {
		var buf bytes.Buffer
		var w io.WriteCloser
		switch e {
		case "gzip":
			w = gzip.NewWriter(&buf)
		case "deflate":
			w = zlib.NewWriter(&buf)
		case "br":
			w = brotli.NewWriter(&buf)
		case "zstd":
			zw, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
			if err != nil {
				return nil, "", err
			}
			w = zw
		default:
			return nil, "", fmt.Errorf("unknown compression %q: use gzip, deflate, br or zstd", e)
		}
		if _, err := w.Write(body); err != nil {
			return nil, "", err
		}
		if err := w.Close(); err != nil {
			return nil, "", err
		}
		body = buf.Bytes()
	}
	return body, strings.Join(encodings, ", "), nil
}
