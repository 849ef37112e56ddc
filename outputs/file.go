package outputs

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"strings"
)

// FileWriter is a buffered file for outputs that write one (the json and
// csv outputs): "-" is stdout, and a name ending in .gz is gzip-compressed.
// Files are written with direct I/O where the file system takes it (see
// directWriter), which does its own buffering.
type FileWriter struct {
	w    io.Writer     // what Write writes to
	buf  *bufio.Writer // nil when w buffers itself
	gz   *gzip.Writer
	file io.Closer // nil for stdout
}

// CreateFile opens name for writing, creating or truncating it.
func CreateFile(name string) (*FileWriter, error) {
	if name == "-" {
		buf := bufio.NewWriterSize(os.Stdout, 64<<10)
		return &FileWriter{w: buf, buf: buf}, nil
	}
	f, err := createFile(name)
	if err != nil {
		return nil, err
	}
	w := &FileWriter{w: f, file: f}
	if strings.HasSuffix(name, ".gz") {
		w.gz = gzip.NewWriter(f)
		w.w = w.gz
	}
	if _, direct := w.w.(*directWriter); !direct {
		w.buf = bufio.NewWriterSize(w.w, 64<<10)
		w.w = w.buf
	}
	return w, nil
}

// Write implements io.Writer.
func (w *FileWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

// Close flushes the buffer and the compressor and closes the file.
func (w *FileWriter) Close() error {
	var errs []error
	if w.buf != nil {
		errs = append(errs, w.buf.Flush())
	}
	if w.gz != nil {
		errs = append(errs, w.gz.Close())
	}
	if w.file != nil {
		errs = append(errs, w.file.Close())
	}
	return errors.Join(errs...)
}
