package store

import (
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errInjected = errors.New("injected fault")

// faultFS injects failures (and slow or blocked syncs) into the store's
// files of one kind: match is "commitlog", "consumequeue", "index" or
// "checkpoint" (see fileKind), "" for every file. Each failNext* fault
// fires once, on the next matching operation.
type faultFS struct {
	osFS
	match string
	// root is the store directory, whose directory sync makes a checkpoint
	// rename durable: it counts as a "checkpoint" directory when set.
	root string

	failNextWrite   atomic.Bool
	failNextSync    atomic.Bool
	tornWrite       atomic.Bool // the failing write writes half its bytes first
	failNextRename  atomic.Bool // rename onto a matching file
	failNextSyncDir atomic.Bool // sync of a matching directory
	failNextCreate  atomic.Bool // OpenFile with O_CREATE of a matching file
	syncDelay       atomic.Int64
	syncs           atomic.Int64
	// gate, when set, blocks every matching Sync until the channel is
	// closed; entered receives a value (if there is room) as a sync blocks.
	gate    atomic.Pointer[chan struct{}]
	entered chan struct{}
}

// fileKind classifies a path of the store directory (see doc.go) by the
// kind of file it is or the kind of files a directory holds. Only the
// last path elements count, so a temporary directory named after a test
// never matches.
func fileKind(name string) string {
	p := name
	for range 4 {
		if filepath.Base(p) == "consumequeue" {
			return "consumequeue"
		}
		p = filepath.Dir(p)
	}
	base, dir := filepath.Base(name), filepath.Base(filepath.Dir(name))
	switch {
	case base == "checkpoint" || base == "checkpoint.tmp":
		return "checkpoint"
	case base == "commitlog" || dir == "commitlog":
		return "commitlog"
	case base == "index" || dir == "index":
		return "index"
	}
	return "other"
}

func (f *faultFS) matches(name string) bool {
	return f.match == "" || fileKind(name) == f.match
}

func (f *faultFS) OpenFile(name string, flag int, perm os.FileMode) (file, error) {
	if !f.matches(name) {
		return f.osFS.OpenFile(name, flag, perm)
	}
	if flag&os.O_CREATE != 0 && f.failNextCreate.CompareAndSwap(true, false) {
		return nil, &os.PathError{Op: "open", Path: name, Err: errInjected}
	}
	fl, err := f.osFS.OpenFile(name, flag, perm)
	if err != nil {
		return fl, err
	}
	return &faultFile{file: fl, fs: f}, nil
}

func (f *faultFS) Rename(o, n string) error {
	if f.matches(n) && f.failNextRename.CompareAndSwap(true, false) {
		return &os.LinkError{Op: "rename", Old: o, New: n, Err: errInjected}
	}
	return f.osFS.Rename(o, n)
}

func (f *faultFS) SyncDir(name string) error {
	m := f.matches(name) || (f.match == "checkpoint" && f.root != "" && filepath.Clean(name) == filepath.Clean(f.root))
	if m && f.failNextSyncDir.CompareAndSwap(true, false) {
		return &os.PathError{Op: "fsync", Path: name, Err: errInjected}
	}
	return f.osFS.SyncDir(name)
}

type faultFile struct {
	file
	fs *faultFS
}

func (f *faultFile) WriteAt(b []byte, off int64) (int, error) {
	if f.fs.failNextWrite.CompareAndSwap(true, false) {
		n := 0
		if f.fs.tornWrite.Load() {
			n, _ = f.file.WriteAt(b[:len(b)/2], off)
		}
		return n, errInjected
	}
	return f.file.WriteAt(b, off)
}

func (f *faultFile) Sync() error {
	if d := f.fs.syncDelay.Load(); d > 0 {
		time.Sleep(time.Duration(d))
	}
	if g := f.fs.gate.Load(); g != nil {
		select {
		case f.fs.entered <- struct{}{}:
		default:
		}
		<-*g
	}
	f.fs.syncs.Add(1)
	if f.fs.failNextSync.CompareAndSwap(true, false) {
		return errInjected
	}
	return f.file.Sync()
}

// TestFileKind pins the classification the fault tests rely on.
func TestFileKind(t *testing.T) {
	root := "/tmp/TestCheckpoint_index_commitlog/001"
	for name, want := range map[string]string{
		root + "/checkpoint":                      "checkpoint",
		root + "/checkpoint.tmp":                  "checkpoint",
		root + "/commitlog/00000000000000000000":  "commitlog",
		root + "/commitlog":                       "commitlog",
		root + "/index/00000000000000000000":      "index",
		root + "/index":                           "index",
		root + "/consumequeue/T/0/00000000000000": "consumequeue",
		root + "/consumequeue/commitlog/0":        "consumequeue",
		root + "/consumequeue":                    "consumequeue",
		root + "/abort":                           "other",
		root:                                      "other",
	} {
		if got := fileKind(name); got != want {
			t.Errorf("fileKind(%q) = %q, want %q", name, got, want)
		}
	}
}
