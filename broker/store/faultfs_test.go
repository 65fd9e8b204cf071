package store

import (
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errInjected = errors.New("injected fault")

// faultFS injects write and sync failures (and slow syncs) into files
// whose path contains match.
type faultFS struct {
	osFS
	match         string
	failNextWrite atomic.Bool
	failNextSync  atomic.Bool
	tornWrite     atomic.Bool // the failing write writes half its bytes first
	syncDelay     atomic.Int64
	syncs         atomic.Int64
}

func (f *faultFS) OpenFile(name string, flag int, perm os.FileMode) (file, error) {
	fl, err := f.osFS.OpenFile(name, flag, perm)
	if err != nil || !strings.Contains(name, f.match) {
		return fl, err
	}
	return &faultFile{file: fl, fs: f}, nil
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
	f.fs.syncs.Add(1)
	if f.fs.failNextSync.CompareAndSwap(true, false) {
		return errInjected
	}
	return f.file.Sync()
}
