package store

import (
	"io"
	"io/fs"
	"os"
	"syscall"
)

// fileSystem is the store's seam to the operating system. Production uses
// osFS; tests inject faults (see faultFS in the tests). Every file the store
// writes is opened through it.
type fileSystem interface {
	OpenFile(name string, flag int, perm os.FileMode) (file, error)
	Remove(name string) error
	RemoveAll(name string) error
	Rename(oldName, newName string) error
	MkdirAll(name string, perm os.FileMode) error
	ReadDir(name string) ([]fs.DirEntry, error)
	Stat(name string) (fs.FileInfo, error)
	// SyncDir fsyncs a directory so that created, renamed and removed
	// entries are durable.
	SyncDir(name string) error
}

// file is the subset of *os.File the store uses.
type file interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	// Sync makes the written data (and the size) durable; fdatasync where
	// available.
	Sync() error
	Truncate(size int64) error
	Stat() (fs.FileInfo, error)
}

type osFS struct{}

var _ fileSystem = osFS{}

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (file, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Remove(name string) error                     { return os.Remove(name) }
func (osFS) RemoveAll(name string) error                  { return os.RemoveAll(name) }
func (osFS) Rename(o, n string) error                     { return os.Rename(o, n) }
func (osFS) MkdirAll(name string, perm os.FileMode) error { return os.MkdirAll(name, perm) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error)   { return os.ReadDir(name) }
func (osFS) Stat(name string) (fs.FileInfo, error)        { return os.Stat(name) }
func (osFS) SyncDir(name string) error                    { return syncDir(name) }

func syncDir(name string) error {
	d, err := os.Open(name)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// osFile is an *os.File whose Sync is fdatasync: the store only needs data
// and size durable, not timestamps.
type osFile struct{ *os.File }

func (f osFile) Sync() error {
	rc, err := f.SyscallConn()
	if err != nil {
		return f.File.Sync()
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
