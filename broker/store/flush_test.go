package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestAsyncFlushInBackground(t *testing.T) {
	s := openStore(t, Config{Dir: t.TempDir(), FlushInterval: 5 * time.Millisecond})
	res := appendMsgs(t, s, msg{topic: "T", body: "x"})
	if res[0].Status != PutOK {
		t.Fatalf("status %v", res[0].Status)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.cl.flushed.Load() < s.MaxPhysicalOffset() {
		if time.Now().After(deadline) {
			t.Fatal("background flusher never synced")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSyncFlush(t *testing.T) {
	tests := []struct {
		name      string
		syncDelay time.Duration
		timeout   time.Duration
		ctx       func(t *testing.T) context.Context
		want      PutStatus
	}{
		{"synced", 0, 5 * time.Second, bg, PutOK},
		{"slow disk", 300 * time.Millisecond, 20 * time.Millisecond, bg, PutFlushDiskTimeout},
		{"ctx done", 300 * time.Millisecond, 5 * time.Second, func(t *testing.T) context.Context {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}, PutFlushDiskTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := &faultFS{match: "commitlog"}
			cfg := Config{Dir: t.TempDir(), FlushMode: FlushSync, SyncFlushTimeout: tt.timeout, fsys: fsys}
			s := openStore(t, cfg)
			fsys.syncDelay.Store(int64(tt.syncDelay))
			res, err := s.Append(tt.ctx(t), []Entry{msg{topic: "T", body: "x"}.entry(), msg{topic: "T", body: "y"}.entry()})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if r.Status != tt.want {
					t.Fatalf("status %v, want %v", r.Status, tt.want)
				}
			}
			if tt.want == PutOK && s.cl.flushed.Load() < s.MaxPhysicalOffset() {
				t.Fatal("PutOK before the sync")
			}
			if got := getAll(t, s, "T", 0); len(got) != 2 {
				t.Fatalf("stored %d records", len(got))
			}
		})
	}
}

func bg(*testing.T) context.Context { return context.Background() }

func TestSyncFlushGroupCommit(t *testing.T) {
	fsys := &faultFS{match: "commitlog"}
	s := openStore(t, Config{Dir: t.TempDir(), FlushMode: FlushSync, fsys: fsys})
	fsys.syncDelay.Store(int64(2 * time.Millisecond))
	before := fsys.syncs.Load()
	const writers, per = 16, 10
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				res, err := s.Append(context.Background(), []Entry{msg{topic: "T", body: "x"}.entry()})
				if err != nil || res[0].Status != PutOK {
					t.Errorf("append: %v %+v", err, res)
					return
				}
			}
		}()
	}
	wg.Wait()
	syncs := fsys.syncs.Load() - before
	if syncs >= writers*per {
		t.Fatalf("%d syncs for %d appends: no group commit", syncs, writers*per)
	}
	t.Logf("%d appends, %d syncs", writers*per, syncs)
}

func TestStickyWriteError(t *testing.T) {
	dir := t.TempDir()
	fsys := &faultFS{match: "commitlog"}
	s := openStore(t, Config{Dir: dir, fsys: fsys, CheckpointInterval: time.Hour})
	fillStore(t, s, 0, 6)
	fsys.tornWrite.Store(true)
	fsys.failNextWrite.Store(true)
	if _, err := s.Append(t.Context(), []Entry{msg{topic: "T", body: "lost"}.entry()}); !errors.Is(err, ErrWriteFailed) || !errors.Is(err, errInjected) {
		t.Fatalf("failing write: %v", err)
	}
	if _, err := s.Append(t.Context(), []Entry{msg{topic: "T", body: "later"}.entry()}); !errors.Is(err, ErrWriteFailed) {
		t.Fatalf("write after failure: %v, want sticky ErrWriteFailed", err)
	}
	if got := len(getAll(t, s, "T", 0)); got != 3 {
		t.Fatalf("reads after failure: %d records", got)
	}
	_ = s.Close()
	if _, err := os.Stat(filepath.Join(dir, "abort")); err != nil {
		t.Fatal("abort marker removed after a write failure")
	}
	r := openStore(t, noCk(dir, 0))
	checkQueues(t, r, 6)
	if m, _ := filepath.Glob(filepath.Join(dir, "commitlog", "*.broken")); len(m) != 1 {
		t.Fatalf("torn write not set aside: %v", m)
	}
}

func TestStickySyncError(t *testing.T) {
	fsys := &faultFS{match: "commitlog"}
	s := openStore(t, Config{Dir: t.TempDir(), FlushMode: FlushSync, fsys: fsys})
	appendMsgs(t, s, msg{topic: "T", body: "ok"})
	fsys.failNextSync.Store(true)
	res, err := s.Append(t.Context(), []Entry{msg{topic: "T", body: "unsynced"}.entry()})
	if !errors.Is(err, ErrWriteFailed) || len(res) != 1 || res[0].Status != PutFlushDiskTimeout {
		t.Fatalf("failing sync: %+v %v", res, err)
	}
	if _, err := s.Append(t.Context(), []Entry{msg{topic: "T", body: "later"}.entry()}); !errors.Is(err, ErrWriteFailed) {
		t.Fatalf("append after failed sync: %v", err)
	}
}
