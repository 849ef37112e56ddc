//go:build !linux

package outputs

import (
	"io"
	"os"
)

// createFile creates name for writing. Direct I/O is used on Linux only.
func createFile(name string) (io.WriteCloser, error) { return os.Create(name) }

var directIO = false
