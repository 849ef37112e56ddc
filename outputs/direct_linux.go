package outputs

import (
	"io"
	"os"
	"syscall"
)

// createFile creates name for writing through a directWriter when name is
// a regular file (or not there yet) on a file system that takes direct
// I/O, and as a plain file otherwise: devices, pipes (where O_DIRECT means
// something else), and file systems that refuse it (tmpfs before Linux
// 6.6).
func createFile(name string) (io.WriteCloser, error) {
	if fi, err := os.Stat(name); err == nil && !fi.Mode().IsRegular() {
		return os.Create(name)
	}
	if directIO {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_DIRECT, 0o644)
		if err == nil {
			return newDirectWriter(f), nil
		}
	}
	return os.Create(name)
}

// directIO is whether createFile tries direct I/O; tests turn it off to
// cover the plain path where file systems refuse it.
var directIO = true
