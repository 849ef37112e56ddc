package outputs

import (
	"bufio"
	"compress/gzip"
	"io"
	"os"
	"strings"
)

// FileWriter is a buffered file for outputs that write one (the json and
// csv outputs): "-" is stdout, and a name ending in .gz is gzip-compressed.
type FileWriter struct {
	*bufio.Writer
	file io.Closer // nil for stdout
	gz   *gzip.Writer
}

// CreateFile opens name for writing, creating or truncating it.
func CreateFile(name string) (*FileWriter, error) {
	if name == "-" {
		return &FileWriter{Writer: bufio.NewWriterSize(os.Stdout, 64<<10)}, nil
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	w := &FileWriter{file: f}
	var dst io.Writer = f
	if strings.HasSuffix(name, ".gz") {
		w.gz = gzip.NewWriter(f)
		dst = w.gz
	}
	w.Writer = bufio.NewWriterSize(dst, 64<<10)
	return w, nil
}

// Close flushes the buffer and the compressor and closes the file.
func (w *FileWriter) Close() error {
	err := w.Flush()
	if w.gz != nil {
		if cerr := w.gz.Close(); err == nil {
			err = cerr
		}
	}
	if w.file != nil {
		if cerr := w.file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
