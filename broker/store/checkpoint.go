package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"maps"
	"slices"
)

// checkpoint is the content of <dir>/checkpoint; see doc.go for the
// layout. Every record below Dispatched is durable in the commit log and has
// its consume-queue and index entries durable too.
type checkpoint struct {
	Dispatched   int64
	LogFlushed   int64
	CQEntries    int64 // consume-queue entries of records below Dispatched
	IndexEntries int64 // index entries of records below Dispatched
	StoreTime    int64 // largest store timestamp (ms) seen below Dispatched
	// LogMin is the commit-log offset retention keeps from: segments
	// below it are deleted or being deleted (version 2; 0 in version 1).
	LogMin int64
	// Deleted maps a deleted topic to the log end at its deletion: records
	// of the topic below it are never dispatched again.
	Deleted map[string]int64
}

const (
	checkpointMagic   = 0x524B4350 // "RKCP"
	checkpointVersion = 2
	checkpointFixed   = 60 // version 1: 52 (no LogMin)
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (c *checkpoint) marshal() []byte {
	b := make([]byte, 0, checkpointFixed+4+len(c.Deleted)*40)
	b = binary.BigEndian.AppendUint32(b, checkpointMagic)
	b = binary.BigEndian.AppendUint32(b, checkpointVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Dispatched))
	b = binary.BigEndian.AppendUint64(b, uint64(c.LogFlushed))
	b = binary.BigEndian.AppendUint64(b, uint64(c.CQEntries))
	b = binary.BigEndian.AppendUint64(b, uint64(c.IndexEntries))
	b = binary.BigEndian.AppendUint64(b, uint64(c.StoreTime))
	b = binary.BigEndian.AppendUint64(b, uint64(c.LogMin))
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.Deleted)))
	for _, t := range slices.Sorted(maps.Keys(c.Deleted)) {
		b = append(b, byte(len(t)))
		b = append(b, t...)
		b = binary.BigEndian.AppendUint64(b, uint64(c.Deleted[t]))
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func unmarshalCheckpoint(b []byte) (checkpoint, error) {
	var c checkpoint
	if len(b) < checkpointFixed-8+4 {
		return c, fmt.Errorf("checkpoint: %d bytes, too short: %w", len(b), ErrCorrupt)
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return c, fmt.Errorf("checkpoint: crc mismatch: %w", ErrCorrupt)
	}
	be := binary.BigEndian
	version := be.Uint32(body[4:])
	fixed := checkpointFixed
	if version == 1 {
		fixed -= 8
	}
	if be.Uint32(body) != checkpointMagic || (version != 1 && version != checkpointVersion) || len(body) < fixed {
		return c, fmt.Errorf("checkpoint: bad magic or version: %w", ErrCorrupt)
	}
	c.Dispatched = int64(be.Uint64(body[8:]))
	c.LogFlushed = int64(be.Uint64(body[16:]))
	c.CQEntries = int64(be.Uint64(body[24:]))
	c.IndexEntries = int64(be.Uint64(body[32:]))
	c.StoreTime = int64(be.Uint64(body[40:]))
	if version > 1 {
		c.LogMin = int64(be.Uint64(body[48:]))
	}
	n := be.Uint32(body[fixed-4:])
	rest := body[fixed:]
	c.Deleted = make(map[string]int64, min(n, 1024))
	for range n {
		if len(rest) < 1 || len(rest) < 1+int(rest[0])+8 {
			return c, fmt.Errorf("checkpoint: truncated deleted-topic list: %w", ErrCorrupt)
		}
		l := int(rest[0])
		c.Deleted[string(rest[1:1+l])] = int64(be.Uint64(rest[1+l:]))
		rest = rest[1+l+8:]
	}
	if len(rest) != 0 || c.Dispatched < 0 || c.CQEntries < 0 || c.IndexEntries < 0 || c.LogMin < 0 {
		return c, fmt.Errorf("checkpoint: inconsistent content: %w", ErrCorrupt)
	}
	return c, nil
}
