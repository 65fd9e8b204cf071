package store

import (
	"fmt"
	"io"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// scanChunk is how much of a segment recovery reads at a time.
const scanChunk = 4 << 20

// scanFunc receives every valid record found by a scan: its decoded form
// (Body aliases the scan buffer), the raw bytes and its log position.
type scanFunc func(m *message.Ext, rec []byte, pos int64)

// scanRecords parses the records at the start of b, which sits at log
// position pos, until b ends or a record is not valid. A record is valid
// when it decodes (magic, sizes, structure), its BODYCRC matches and its
// PHYSICALOFFSET equals its position. It returns the number of valid bytes
// and what stopped it: need == 0 means b ended exactly after a record,
// need > 0 means an incomplete record of need bytes starts at valid (more
// input may complete it), need < 0 means the bytes at valid are not a
// record.
func scanRecords(b []byte, pos int64, fn scanFunc) (valid, need int) {
	for valid < len(b) {
		rest := b[valid:]
		if len(rest) < 4 {
			return valid, 4
		}
		n := int(int32(be.Uint32(rest)))
		if n < message.MinRecordSize || n > maxRecordSize {
			return valid, -1
		}
		if n > len(rest) {
			if len(rest) >= posMagic+4 && recMagic(rest) != message.MagicCode {
				return valid, -1
			}
			return valid, n
		}
		m, _, err := message.Decode(rest[:n], true)
		if err != nil || m.CommitLogOffset != pos+int64(valid) {
			return valid, -1
		}
		if fn != nil {
			fn(&m, rest[:n], pos+int64(valid))
		}
		valid += n
	}
	return valid, 0
}

// scanSegment scans the segment bytes [from, base+size) of f, where base is
// the segment's log offset, and returns the log position after the last
// valid record.
func scanSegment(f io.ReaderAt, base, size, from int64, fn scanFunc) (int64, error) {
	return scanSegmentChunked(f, base, size, from, scanChunk, fn)
}

// scanSegmentChunked is scanSegment reading chunk bytes at a time (records
// larger than a chunk are read whole).
func scanSegmentChunked(f io.ReaderAt, base, size, from, chunk int64, fn scanFunc) (int64, error) {
	end := base + size
	pos := from
	want := chunk
	var buf []byte
	for pos < end {
		n := min(want, end-pos)
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := f.ReadAt(buf, pos-base); err != nil && err != io.EOF {
			return pos, fmt.Errorf("read segment %s at %d: %w", segmentName(base), pos-base, err)
		}
		valid, need := scanRecords(buf, pos, fn)
		pos += int64(valid)
		switch {
		case need == 0:
		case need < 0:
			return pos, nil
		case pos+int64(need) > end:
			return pos, nil // torn record at the end of the segment
		default:
			want = max(chunk, int64(need))
		}
	}
	return pos, nil
}
