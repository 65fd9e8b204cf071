package store

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// validLog returns n back-to-back records whose PHYSICALOFFSET and
// QUEUEOFFSET are patched as Append would, starting at log position 0.
func validLog(n int) []byte {
	var b []byte
	for i := range n {
		rec := msg{topic: "T", queue: int32(i % 2), tags: "A", keys: []string{body(i)}, body: body(i) + string(make([]byte, i*7))}.entry().Record
		message.PatchOffsets(rec, int64(i/2), int64(len(b)), 1_700_000_000_000+int64(i))
		b = append(b, rec...)
	}
	return b
}

// FuzzScanLog feeds arbitrary bytes to the commit-log record reader as the
// content of the segment starting at log offset 0, split in two to mimic a
// record crossing a read boundary.
//
// Invariants: it never panics; the valid length is at most the input
// length and ends on a record boundary; re-scanning the valid prefix finds
// the same records and stops cleanly (need == 0); the chunked segment scan
// (with a chunk size derived from the split point) agrees with the
// whole-buffer scan; every reported record decodes with a correct CRC and
// PHYSICALOFFSET equal to its position.
func FuzzScanLog(f *testing.F) {
	good := validLog(5)
	f.Add(good, uint16(0))
	f.Add(good, uint16(len(good)/2))
	f.Add(good[:len(good)-3], uint16(100))
	f.Add(append(bytes.Clone(good), 0, 0, 0, 0, 0, 0), uint16(7))
	f.Add(append(bytes.Clone(good), bytes.Repeat([]byte{0xFF}, 64)...), uint16(200))
	f.Add([]byte{}, uint16(0))
	f.Add([]byte{0, 0, 0, 91}, uint16(2))
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)/2] ^= 1
	f.Add(corrupt, uint16(33))
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		type rec struct {
			pos  int64
			size int
		}
		var got []rec
		valid, need := scanRecords(data, 0, func(m *message.Ext, r []byte, pos int64) {
			if m.CommitLogOffset != pos || int(recSize(r)) != len(r) {
				t.Fatalf("record at %d reports offset %d size %d/%d", pos, m.CommitLogOffset, recSize(r), len(r))
			}
			if _, _, err := message.Decode(r, true); err != nil {
				t.Fatalf("reported record does not decode: %v", err)
			}
			got = append(got, rec{pos, len(r)})
		})
		if valid < 0 || valid > len(data) {
			t.Fatalf("valid %d outside [0, %d]", valid, len(data))
		}
		if need == 0 && valid != len(data) {
			t.Fatalf("need 0 but valid %d < %d", valid, len(data))
		}
		sum := 0
		for _, r := range got {
			if r.pos != int64(sum) {
				t.Fatalf("record at %d, expected %d", r.pos, sum)
			}
			sum += r.size
		}
		if sum != valid {
			t.Fatalf("records cover %d bytes, valid %d", sum, valid)
		}
		n2 := 0
		v2, need2 := scanRecords(data[:valid], 0, func(*message.Ext, []byte, int64) { n2++ })
		if v2 != valid || need2 != 0 || n2 != len(got) {
			t.Fatalf("rescan of valid prefix: %d/%d records, valid %d/%d, need %d", n2, len(got), v2, valid, need2)
		}
		chunk := int64(split)%512 + 1
		end, err := scanSegmentChunked(bytes.NewReader(data), 0, int64(len(data)), 0, chunk, nil)
		if err != nil || end != int64(valid) {
			t.Fatalf("chunked scan (chunk %d) ended at %d (%v), whole scan at %d", chunk, end, err, valid)
		}
	})
}

// FuzzRecover writes arbitrary bytes after a valid log prefix as the only
// segment of a crashed store and opens it.
//
// Invariants: Open succeeds; the recovered log is at most as long as the
// segment and at least as long as the valid prefix; every queue entry reads
// back as a record; a further append lands exactly at the recovered end.
func FuzzRecover(f *testing.F) {
	f.Add(uint8(3), []byte{})
	f.Add(uint8(2), []byte{1, 2, 3})
	f.Add(uint8(0), validLog(2)[:50])
	f.Add(uint8(4), make([]byte, 300))
	f.Fuzz(func(t *testing.T, n uint8, tail []byte) {
		prefix := validLog(int(n % 6))
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "commitlog"), 0o755); err != nil {
			t.Fatal(err)
		}
		seg := append(bytes.Clone(prefix), tail...)
		if err := os.WriteFile(filepath.Join(dir, "commitlog", segmentName(0)), seg, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "abort"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(Config{Dir: dir, Logger: testLogger(t), CheckpointInterval: 1 << 62})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		end := s.MaxPhysicalOffset()
		if end < int64(len(prefix)) || end > int64(len(seg)) {
			t.Fatalf("recovered end %d outside [%d, %d]", end, len(prefix), len(seg))
		}
		for _, id := range s.Queues() {
			min, max := s.QueueRange(id.Topic, id.QueueID)
			for o := min; o < max; {
				r, err := s.Get(id.Topic, id.QueueID, o, 32, nil, nil)
				if err != nil || r.Status != GetFound {
					t.Fatalf("Get %v@%d: %v %v", id, o, r.Status, err)
				}
				o = r.NextBeginOffset
			}
		}
		res, err := s.Append(t.Context(), []Entry{msg{topic: "T", body: "after"}.entry()})
		if err != nil || res[0].CommitLogOffset != end {
			t.Fatalf("append after recovery: %+v %v, want offset %d", res, err, end)
		}
	})
}
