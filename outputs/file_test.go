package outputs

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFileWriterWritesEveryByte writes files of awkward lengths (empty,
// under, at and over a direct-I/O block and chunk) in writes of random
// sizes, plain and gzipped, in the test's directory and in /dev/shm
// (tmpfs, which older kernels refuse direct I/O on), with direct I/O and
// without, and reads back exactly what was written.
func TestFileWriterWritesEveryByte(t *testing.T) {
	for _, direct := range []bool{true, false} {
		t.Run(map[bool]string{true: "direct", false: "buffered"}[direct], func(t *testing.T) {
			defer func(was bool) { directIO = was }(directIO)
			directIO = direct && directIO
			testFileWriter(t)
		})
	}
}

func testFileWriter(t *testing.T) {
	dirs := []string{t.TempDir()}
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		shm, err := os.MkdirTemp("/dev/shm", "throng-test-")
		if err == nil {
			t.Cleanup(func() { os.RemoveAll(shm) })
			dirs = append(dirs, shm)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pattern := make([]byte, 8191) // a length prime to the block size, so blocks differ
	for i := range pattern {
		pattern[i] = byte('a' + rng.IntN(26))
	}
	for _, dir := range dirs {
		for _, size := range []int{0, 1, directBlock - 1, directBlock, directBlock + 1, directChunk, directChunk + 3, 2*directChunk + 5000} {
			for _, name := range []string{"out.json", "out.json.gz"} {
				if name == "out.json.gz" && size > 1 && size != directChunk+3 {
					continue // gzip is slow under -race; a few sizes do
				}
				want := make([]byte, size)
				for i := 0; i < size; i += len(pattern) {
					copy(want[i:], pattern)
				}
				path := filepath.Join(dir, name)
				w, err := CreateFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if _, direct := w.file.(*directWriter); size == 0 && name == "out.json" {
					t.Logf("%s: direct I/O %v", dir, direct)
				}
				for rest := want; len(rest) > 0; {
					n := min(len(rest), 1+rng.IntN(300_000))
					if k, err := w.Write(rest[:n]); err != nil || k != n {
						t.Fatalf("Write: %d, %v", k, err)
					}
					rest = rest[n:]
				}
				if err := w.Close(); err != nil {
					t.Fatalf("%s, %d bytes: Close: %v", path, size, err)
				}
				got := readAll(t, path)
				if !bytes.Equal(got, want) {
					t.Fatalf("%s, %d bytes: read back %d bytes that differ", path, size, len(got))
				}
			}
		}
	}
}

func readAll(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if filepath.Ext(path) == ".gz" {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFileWriterReportsWriteErrors fills a file system that has no room
// (/dev/full answers every write with ENOSPC): the error reaches the
// writer, at a later Write or at Close, instead of being lost.
func TestFileWriterReportsWriteErrors(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	w, err := CreateFile("/dev/full")
	if err != nil {
		t.Skipf("cannot open /dev/full: %v", err)
	}
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	var werr error
	for range 4 * directChunk / len(chunk) {
		if _, werr = w.Write(chunk); werr != nil {
			break
		}
	}
	cerr := w.Close()
	if werr == nil && cerr == nil {
		t.Fatal("writing 4 MB to /dev/full gave no error")
	}
}

// TestFileWriterToAPipe writes through a named pipe, as `-o json=/dev/stdout`
// or a FIFO a user reads from would: every byte arrives, none of direct
// I/O's padding.
func TestFileWriterToAPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	want := bytes.Repeat([]byte("0123456789"), 10_000)
	got := make(chan []byte)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	w, err := CreateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(want); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("the reader got %d bytes, want %d", len(b), len(want))
	}
}
