package acl_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/acl"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

const (
	oneAccount  = "accounts:\n  - accessKey: account1\n    secretKey: 12345678\n"
	twoAccounts = oneAccount + "  - accessKey: account2\n    secretKey: 12345678\n"
)

// Poll reloads a changed file, keeps the last good ACL when the file is
// broken or gone, and logs each problem once.
func TestWatcherPoll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if _, err := acl.NewWatcher(path, log); err == nil {
		t.Fatal("NewWatcher of a missing file succeeded")
	}
	write(t, path, "accounts: [")
	if _, err := acl.NewWatcher(path, log); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("NewWatcher of a broken file: %v", err)
	}
	write(t, path, oneAccount)
	w, err := acl.NewWatcher(path, log)
	if err != nil {
		t.Fatal(err)
	}
	if w.Poll() || w.ACL().Accounts() != 1 {
		t.Fatal("Poll reloaded an unchanged file")
	}
	write(t, path, twoAccounts)
	if !w.Poll() || w.ACL().AccessKeys()[1] != "account2" {
		t.Fatalf("Poll did not load the changed file: %v", w.ACL().AccessKeys())
	}
	good := w.ACL()

	write(t, path, twoAccounts+"  - accessKey: short\n")
	for range 3 {
		if w.Poll() || w.ACL() != good {
			t.Fatal("a broken file replaced the last good ACL")
		}
	}
	if n := strings.Count(logs.String(), "acl file broken; keeping the last good one"); n != 1 {
		t.Errorf("the broken file was logged %d times, want once:\n%s", n, &logs)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if w.Poll() || w.ACL() != good {
			t.Fatal("a missing file replaced the last good ACL")
		}
	}
	if n := strings.Count(logs.String(), "acl file unreadable; keeping the last good one"); n != 1 {
		t.Errorf("the missing file was logged %d times, want once:\n%s", n, &logs)
	}
	write(t, path, oneAccount)
	if !w.Poll() || w.ACL().Accounts() != 1 {
		t.Fatal("Poll did not load the repaired file")
	}
}

// Run polls until done is closed, then returns (goleak checks it).
func TestWatcherRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain_acl.yml")
	write(t, path, oneAccount)
	w, err := acl.NewWatcher(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		w.Run(done, time.Millisecond)
	}()
	write(t, path, twoAccounts)
	deadline := time.Now().Add(30 * time.Second)
	for w.ACL().Accounts() != 2 {
		if time.Now().After(deadline) {
			t.Fatal("Run never loaded the changed file")
		}
		time.Sleep(time.Millisecond)
	}
	close(done)
	<-stopped
}
