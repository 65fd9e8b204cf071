package ha

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Frame sizes of the HA protocol (see doc.go, Protocol).
const (
	// reportSize is a slave's offset report: int64 big-endian.
	reportSize = 8
	// headerSize is a transfer header: offset int64 | body size int32.
	headerSize = 12
	// MaxBodySize bounds a transfer body: a larger size is a protocol
	// error and the slave closes the connection. The master never sends
	// more than its TransferBatch (at most this), or one record, which the
	// store bounds to 64 MiB.
	MaxBodySize = 64 << 20
	// bodyGrowStep is how much of a body the slave reads before it trusts
	// the announced size with more memory: a lying header costs at most
	// twice what actually arrived.
	bodyGrowStep = 64 << 10
)

var be = binary.BigEndian

// appendTransferHeader appends the header of a transfer of size bytes
// whose first byte is at commit-log offset offset (size 0: a heartbeat).
func appendTransferHeader(dst []byte, offset int64, size int) []byte {
	dst = be.AppendUint64(dst, uint64(offset))
	return be.AppendUint32(dst, uint32(size))
}

// putTransferHeader writes the header into b[:headerSize].
func putTransferHeader(b []byte, offset int64, size int) {
	be.PutUint64(b, uint64(offset))
	be.PutUint32(b[8:], uint32(size))
}

// parseTransferHeader decodes a transfer header. An offset below zero or
// a size outside [0, MaxBodySize] is an error wrapping ErrProtocol.
func parseTransferHeader(h *[headerSize]byte) (offset int64, size int, err error) {
	offset = int64(be.Uint64(h[:]))
	size = int(int32(be.Uint32(h[8:])))
	switch {
	case offset < 0:
		return 0, 0, fmt.Errorf("transfer header: negative offset %d: %w", offset, ErrProtocol)
	case size < 0 || size > MaxBodySize:
		return 0, 0, fmt.Errorf("transfer header at offset %d: body size %d outside 0..%d: %w", offset, size, MaxBodySize, ErrProtocol)
	}
	return offset, size, nil
}

// readTransferHeader reads and decodes one transfer header from r. A
// stream ending inside the header returns io.ErrUnexpectedEOF, one ending
// before it io.EOF.
func readTransferHeader(r io.Reader, h *[headerSize]byte) (offset int64, size int, err error) {
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, 0, err
	}
	return parseTransferHeader(h)
}

// readBody reads a body of n bytes (0 <= n <= MaxBodySize) into buf,
// reusing its memory, and returns it. The buffer grows with what arrives,
// not with what the header announced. A stream ending early returns
// io.ErrUnexpectedEOF.
func readBody(r io.Reader, buf []byte, n int) ([]byte, error) {
	if cap(buf) >= n {
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return buf[:0], eofIsUnexpected(err)
		}
		return buf, nil
	}
	buf = buf[:0]
	for len(buf) < n {
		k := min(n-len(buf), max(len(buf), bodyGrowStep))
		buf = slices.Grow(buf, k)
		got, err := io.ReadFull(r, buf[len(buf):len(buf)+k])
		buf = buf[:len(buf)+got]
		if err != nil {
			return buf[:0], eofIsUnexpected(err)
		}
	}
	return buf, nil
}

func eofIsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// appendReport appends a slave's offset report.
func appendReport(dst []byte, offset int64) []byte {
	return be.AppendUint64(dst, uint64(offset))
}

// parseReport decodes a slave's offset report; a negative offset is an
// error wrapping ErrProtocol.
func parseReport(b *[reportSize]byte) (int64, error) {
	off := int64(be.Uint64(b[:]))
	if off < 0 {
		return 0, fmt.Errorf("slave report: negative offset %d: %w", off, ErrProtocol)
	}
	return off, nil
}
