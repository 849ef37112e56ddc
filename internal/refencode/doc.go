// Package refencode compresses test bodies with the reference encoders
// (the standard library's gzip and zlib, andybalholm/brotli,
// klauspost/compress/zstd), never with throng's own code, so that tests of
// throng's decoding have an independent source.
package refencode
