package store

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestQueryByKey(t *testing.T) {
	s := openStore(t, Config{Dir: t.TempDir()})
	var offs []int64
	for i := range 5 {
		offs = append(offs, appendMsgs(t, s, msg{topic: "T", keys: []string{"order-1", "k" + body(i)}, body: body(i)})[0].CommitLogOffset)
	}
	other := appendMsgs(t, s, msg{topic: "U", keys: []string{"order-1"}, body: "u"})[0].CommitLogOffset
	dup := appendMsgs(t, s, msg{topic: "T", keys: []string{"dup", "dup"}, uniq: "dup", body: "d"})[0].CommitLogOffset
	newestFirst := slices.Clone(offs)
	slices.Reverse(newestFirst)
	tests := []struct {
		name       string
		topic, key string
		max        int
		begin, end int64
		want       []int64
	}{
		{"all, newest first", "T", "order-1", 10, 0, 0, newestFirst},
		{"max", "T", "order-1", 2, 0, 0, newestFirst[:2]},
		{"other topic", "U", "order-1", 10, 0, 0, []int64{other}},
		{"single key", "T", "k" + body(3), 10, 0, 0, []int64{offs[3]}},
		{"repeated key once", "T", "dup", 10, 0, 0, []int64{dup}},
		{"missing", "T", "nope", 10, 0, 0, nil},
		{"wrong topic", "V", "order-1", 10, 0, 0, nil},
		{"time range before", "T", "order-1", 10, 0, 1000, nil},
		{"time range after", "T", "order-1", 10, time.Now().Add(time.Hour).UnixMilli(), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.QueryByKey(tt.topic, tt.key, tt.max, tt.begin, tt.end)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v %v, want %v", got, err, tt.want)
			}
		})
	}
}

// Two keys whose FNV-1a hashes collide in topic "T" (found by brute force).
const collideA, collideB = "k497449", "k1102986"

func TestQueryByKeyVerifiesCollisions(t *testing.T) {
	a, b := collideA, collideB
	if keyHash("T", a) != keyHash("T", b) {
		t.Fatal("not a collision")
	}
	// One slot: every key shares one chain, on top of the real collision.
	cfg := Config{Dir: t.TempDir(), indexSlots: 1, indexEntries: 8, CheckpointInterval: time.Hour}
	s := openStore(t, cfg)
	var wantA, wantB []int64
	for i := range 12 {
		ra := appendMsgs(t, s, msg{topic: "T", keys: []string{a}, body: body(i)})
		rb := appendMsgs(t, s, msg{topic: "T", keys: []string{b}, body: body(i)})
		wantA = append([]int64{ra[0].CommitLogOffset}, wantA...)
		wantB = append([]int64{rb[0].CommitLogOffset}, wantB...)
		appendMsgs(t, s, msg{topic: "T", keys: []string{"noise" + body(i)}, body: "n"})
		if i == 5 {
			if err := s.checkpoint(); err != nil { // seals full files
				t.Fatal(err)
			}
		}
	}
	check := func(s *Store) {
		t.Helper()
		for _, c := range []struct {
			key  string
			want []int64
		}{{a, wantA}, {b, wantB}} {
			got, err := s.QueryByKey("T", c.key, 100, 0, 0)
			if err != nil || !slices.Equal(got, c.want) {
				t.Fatalf("key %s: got %v %v, want %v", c.key, got, err, c.want)
			}
		}
	}
	check(s)
	if n := len(s.ix.files); n < 4 {
		t.Fatalf("index files: %d, want several", n)
	}
	crash := crashCopy(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.Dir = s.dir
	check(openStore(t, cfg))
	cfg.Dir = crash
	check(openStore(t, cfg))
}

func TestIndexRebuiltWhenDeleted(t *testing.T) {
	s := openStore(t, noCk(t.TempDir(), 4096))
	fillStore(t, s, 0, 20)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(s.dir, "index", "*"))
	if len(files) == 0 {
		t.Fatal("no index files")
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	r := openStore(t, noCk(s.dir, 4096))
	for i := range 20 {
		got, err := r.QueryByKey("T", "key-"+body(i), 4, 0, 0)
		if err != nil || len(got) != 1 {
			t.Fatalf("key %d: %v %v", i, got, err)
		}
	}
}

func TestIndexTornEntries(t *testing.T) {
	s := openStore(t, noCk(t.TempDir(), 1<<20))
	fillStore(t, s, 0, 10)
	if err := s.checkpoint(); err != nil {
		t.Fatal(err)
	}
	fillStore(t, s, 10, 10)
	if err := s.checkpoint(); err != nil {
		t.Fatal(err)
	}
	dir := crashCopy(t, s)
	files, _ := filepath.Glob(filepath.Join(dir, "index", "*"))
	// Tear the last entry and flip a byte in an earlier one: recovery drops
	// everything from the bad entry on and re-adds it from the log.
	truncate(t, files[0], fileLen(t, files[0])-5)
	flipByte(t, files[0], fileLen(t, files[0])-ixEntrySize*5)
	r := openStore(t, noCk(dir, 1<<20))
	for i := range 20 {
		got, err := r.QueryByKey("T", "U"+body(i), 4, 0, 0)
		if err != nil || len(got) != 1 {
			t.Fatalf("key %d: %v %v", i, got, err)
		}
	}
}
