package acl

import (
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Load reads and parses the plain_acl.yml at path.
func Load(path string) (*ACL, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	a, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("acl: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("acl: read %s: %w", path, err)
	}
	return data, nil
}

// Watcher holds the ACL of a file and reloads it when the file's content
// changes. A file that no longer parses (or is gone) keeps the last good
// ACL and is logged once per distinct content. ACL is safe for concurrent
// use; Poll and Run are called from one goroutine.
type Watcher struct {
	path string
	log  *slog.Logger
	cur  atomic.Pointer[ACL]

	mu   sync.Mutex
	seen [sha256.Size]byte // hash of the content last read, good or bad; guarded by mu
	gone bool              // the last read failed; guarded by mu
}

// NewWatcher loads path; it fails when the file cannot be read or parsed,
// so a broker never starts with a broken ACL. log may be nil.
func NewWatcher(path string, log *slog.Logger) (*Watcher, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	a, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	w := &Watcher{path: path, log: log, seen: sha256.Sum256(data)}
	w.cur.Store(a)
	return w, nil
}

// ACL returns the ACL in force.
func (w *Watcher) ACL() *ACL { return w.cur.Load() }

// Path returns the file watched.
func (w *Watcher) Path() string { return w.path }

// Poll reads the file again and, when its content changed and parses,
// puts the new ACL in force. It reports whether it did.
func (w *Watcher) Poll() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	data, err := readFile(w.path)
	if err != nil {
		if !w.gone {
			w.log.Error("acl file unreadable; keeping the last good one", "file", w.path, "err", err)
		}
		w.gone = true
		return false
	}
	w.gone = false
	sum := sha256.Sum256(data)
	if sum == w.seen {
		return false
	}
	w.seen = sum
	a, err := Parse(data)
	if err != nil {
		w.log.Error("acl file broken; keeping the last good one", "file", w.path, "err", err)
		return false
	}
	w.cur.Store(a)
	w.log.Info("acl reloaded", "file", w.path, "accounts", a.Accounts())
	return true
}

// Run polls the file every interval until done is closed.
func (w *Watcher) Run(done <-chan struct{}, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			w.Poll()
		}
	}
}
