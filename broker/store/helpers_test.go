package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// msg describes a test message.
type msg struct {
	topic string
	queue int32
	tags  string
	keys  []string // KEYS property
	uniq  string   // UNIQ_KEY
	body  string
}

func (m msg) props() string {
	p := ""
	if m.tags != "" {
		p = message.SetProperty(p, message.PropertyTags, m.tags)
	}
	if len(m.keys) > 0 {
		p = message.SetProperty(p, message.PropertyKeys, strings.Join(m.keys, " "))
	}
	if m.uniq != "" {
		p = message.SetProperty(p, message.PropertyUniqKey, m.uniq)
	}
	return p
}

// entry encodes m as an Append entry.
func (m msg) entry() Entry {
	ext := message.Ext{
		QueueID: m.queue, BornTimestamp: time.Now().UnixMilli(),
		BornHost:  netip.MustParseAddrPort("10.0.0.1:5000"),
		StoreHost: netip.MustParseAddrPort("127.0.0.1:10911"),
		Body:      []byte(m.body), Topic: m.topic, Properties: m.props(),
	}
	var tags int64
	if m.tags != "" {
		tags = message.TagsHashCode(m.tags)
	}
	keys := append([]string(nil), m.keys...)
	if m.uniq != "" {
		keys = append(keys, m.uniq)
	}
	return Entry{Topic: m.topic, QueueID: m.queue, TagsCode: tags, Keys: keys, Record: message.AppendEncode(nil, &ext)}
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// openStore opens a store in dir with small segments unless cfg says
// otherwise, and closes it at cleanup.
func openStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func appendMsgs(t testing.TB, s *Store, ms ...msg) []AppendResult {
	t.Helper()
	var out []AppendResult
	for _, m := range ms {
		res, err := s.Append(context.Background(), []Entry{m.entry()})
		if err != nil {
			t.Fatalf("Append %+v: %v", m, err)
		}
		out = append(out, res...)
	}
	return out
}

// decodeAll decodes a Get result.
func decodeAll(t testing.TB, b []byte) []message.Ext {
	t.Helper()
	ms, err := message.DecodeAll(b, true)
	if err != nil {
		t.Fatalf("DecodeAll: %v", err)
	}
	return ms
}

// bodies returns the bodies of a Get result.
func bodies(t testing.TB, b []byte) []string {
	t.Helper()
	var out []string
	for _, m := range decodeAll(t, b) {
		out = append(out, string(m.Body))
	}
	return out
}

// getAll reads a whole queue.
func getAll(t testing.TB, s *Store, topic string, q int32) []message.Ext {
	t.Helper()
	var out []message.Ext
	for off := int64(0); ; {
		r, err := s.Get(topic, q, off, 32, nil, nil)
		if err != nil {
			t.Fatalf("Get %s/%d@%d: %v", topic, q, off, err)
		}
		if r.Status != GetFound {
			return out
		}
		out = append(out, decodeAll(t, r.Records)...)
		off = r.NextBeginOffset
	}
}

// copyDir copies a store directory as a crash would leave it (no Close).
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if fi.Name() == "lock" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy dir: %v", err)
	}
}

func segmentFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "commitlog", "*"))
	return m
}

func body(i int) string { return fmt.Sprintf("body-%05d", i) }
