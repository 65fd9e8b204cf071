package store

// Tests that kill mutants `task mutation` found alive: each checks a
// behaviour no other test pinned down.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// v1Checkpoint encodes a version-1 checkpoint (no LogMin), as stores
// written before retention left them.
func v1Checkpoint(version uint32, deleted map[string]int64, order []string) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, checkpointMagic)
	b = binary.BigEndian.AppendUint32(b, version)
	for _, v := range []int64{123, 456, 7, 8, 9} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(order)))
	for _, t := range order {
		b = append(b, byte(len(t)))
		b = append(b, t...)
		b = binary.BigEndian.AppendUint64(b, uint64(deleted[t]))
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// A version-1 checkpoint still opens - the shortest one (56 bytes, no
// deleted topics) included - with LogMin 0; a version past the known ones
// is corrupt. LogMin round-trips in version 2.
func TestCheckpointVersions(t *testing.T) {
	short := v1Checkpoint(1, nil, nil)
	if len(short) != 56 {
		t.Fatalf("v1 checkpoint without deleted topics is %d bytes, want 56", len(short))
	}
	for _, b := range [][]byte{short, v1Checkpoint(1, map[string]int64{"gone": 77}, []string{"gone"})} {
		ck, err := unmarshalCheckpoint(b)
		if err != nil || ck.Dispatched != 123 || ck.LogFlushed != 456 || ck.CQEntries != 7 || ck.IndexEntries != 8 ||
			ck.StoreTime != 9 || ck.LogMin != 0 {
			t.Fatalf("v1 checkpoint (%d bytes): %+v, %v", len(b), ck, err)
		}
		if len(b) > 56 && (len(ck.Deleted) != 1 || ck.Deleted["gone"] != 77) {
			t.Fatalf("v1 deleted topics: %v", ck.Deleted)
		}
	}
	for _, v := range []uint32{0, 3} {
		if _, err := unmarshalCheckpoint(v1Checkpoint(v, nil, nil)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("version %d: err = %v, want ErrCorrupt", v, err)
		}
	}
	ck := checkpoint{Dispatched: 1, LogMin: 4096, Deleted: map[string]int64{}}
	if got, err := unmarshalCheckpoint(ck.marshal()); err != nil || got.LogMin != 4096 {
		t.Fatalf("v2 LogMin round trip: %+v, %v", got, err)
	}
}

// A deleted-topic list shorter than its count says, or whose last entry is
// cut, is ErrCorrupt even when its CRC holds (a writer's bug, not a torn
// write): never a panic, never a made-up entry.
func TestCheckpointTruncatedDeletedList(t *testing.T) {
	full := v1Checkpoint(1, map[string]int64{"gone": 77}, []string{"gone"})
	body := full[:len(full)-4] // 52 fixed bytes, then 1+4+8 of the entry
	for _, cut := range []int{0, 1, 3, 5, 6, 12} {
		b := append([]byte(nil), body[:52+cut]...)
		if cut == 0 {
			binary.BigEndian.PutUint32(b[48:], 2) // two entries announced, none there
		}
		b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
		if ck, err := unmarshalCheckpoint(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("entry cut after %d bytes: %+v, %v; want ErrCorrupt", cut, ck, err)
		}
	}
}

// The start of a record cut short is told apart from garbage as soon as
// its magic is there: with 8 bytes (TOTALSIZE and MAGICCODE) a wrong magic
// means "not a record" (need < 0), a right one "need TOTALSIZE bytes".
func TestScanRecordsCutRecordMagic(t *testing.T) {
	for _, c := range []struct {
		magic    int32
		wantNeed int
	}{{message.MagicCode, 200}, {0x0badf00d, -1}} {
		b := binary.BigEndian.AppendUint32(nil, 200)
		b = binary.BigEndian.AppendUint32(b, uint32(c.magic))
		if valid, need := scanRecords(b, 0, nil); valid != 0 || (need < 0) != (c.wantNeed < 0) || (need > 0 && need != c.wantNeed) {
			t.Errorf("8 bytes with magic %#x: valid %d, need %d; want 0, %d", c.magic, valid, need, c.wantNeed)
		}
	}
}

// failingReaderAt fails every read with err.
type failingReaderAt struct{ err error }

func (f failingReaderAt) ReadAt([]byte, int64) (int, error) { return 0, f.err }

// Recovery's scan of a segment reports a read error instead of taking it
// for the end of the log; a segment file shorter than its size (EOF) is
// scanned to its end without error.
func TestScanSegmentReadErrors(t *testing.T) {
	eio := errors.New("input/output error")
	if pos, err := scanSegmentChunked(failingReaderAt{eio}, 4096, 4096, 4096, 1024, nil); !errors.Is(err, eio) || pos != 4096 {
		t.Errorf("read error: pos %d, err %v; want 4096 and the read error", pos, err)
	}
	if pos, err := scanSegmentChunked(bytes.NewReader(nil), 4096, 4096, 4096, 1024, nil); err != nil || pos != 4096 {
		t.Errorf("empty segment file: pos %d, err %v; want 4096, no error", pos, err)
	}
}
