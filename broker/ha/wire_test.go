package ha

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// twoPieces reads a and then b in separate reads (a frame arriving in two
// TCP segments), each one byte at a time when slow.
func twoPieces(data []byte, split int, slow bool) io.Reader {
	split = min(split, len(data))
	var a, b io.Reader = bytes.NewReader(data[:split]), bytes.NewReader(data[split:])
	if slow {
		a, b = iotest.OneByteReader(a), iotest.OneByteReader(b)
	}
	return io.MultiReader(a, b)
}

// FuzzReadTransferHeader feeds arbitrary bytes, split in two to mimic a
// frame crossing TCP reads, to the slave's frame decoder (header, then
// body), frame after frame until it fails.
//
// Invariants: it never panics; a decoded header has offset >= 0 and size
// in 0..MaxBodySize, and encodes back to the same 12 bytes; a header
// outside that is an error wrapping ErrProtocol; a body is returned only
// whole (exactly size bytes, equal to the input's), else the error is
// io.ErrUnexpectedEOF; the frames decoded add up to a prefix of the input;
// the split point changes nothing.
func FuzzReadTransferHeader(f *testing.F) {
	frame := func(off int64, body []byte) []byte { return append(appendTransferHeader(nil, off, len(body)), body...) }
	f.Add(frame(0, []byte("hello")), uint16(3))
	f.Add(append(frame(0, nil), frame(0, []byte("x"))...), uint16(12))
	f.Add(append(frame(100, bytes.Repeat([]byte{7}, 300)), frame(400, nil)...), uint16(200))
	f.Add(appendTransferHeader(nil, -1, 0), uint16(4))
	f.Add(appendTransferHeader(nil, 0, -1), uint16(11))
	f.Add(appendTransferHeader(nil, 0, MaxBodySize+1), uint16(0))
	f.Add(appendTransferHeader(nil, 1<<62, MaxBodySize), uint16(6))
	f.Add(frame(5, []byte("body"))[:14], uint16(13))
	f.Add([]byte{1, 2, 3}, uint16(1))
	f.Add([]byte{}, uint16(0))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"), uint16(5))
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		type got struct {
			off  int64
			body string
		}
		decode := func(r io.Reader) ([]got, int, error) {
			var (
				out  []got
				used int
				h    [headerSize]byte
				buf  []byte
			)
			for {
				off, size, err := readTransferHeader(r, &h)
				if err != nil {
					if used+headerSize <= len(data) && !errors.Is(err, ErrProtocol) {
						t.Fatalf("a whole header failed with %v", err)
					}
					return out, used, err
				}
				if off < 0 || size < 0 || size > MaxBodySize {
					t.Fatalf("header decoded to offset %d size %d", off, size)
				}
				if !bytes.Equal(appendTransferHeader(nil, off, size), data[used:used+headerSize]) {
					t.Fatalf("header %x decodes to (%d, %d), which encodes differently", data[used:used+headerSize], off, size)
				}
				body, err := readBody(r, buf, size)
				if err != nil {
					if !errors.Is(err, io.ErrUnexpectedEOF) || used+headerSize+size <= len(data) {
						t.Fatalf("body of %d bytes at %d of %d: %v", size, used+headerSize, len(data), err)
					}
					return out, used, err
				}
				if len(body) != size || !bytes.Equal(body, data[used+headerSize:used+headerSize+size]) {
					t.Fatalf("body of %d bytes read as %d different bytes", size, len(body))
				}
				out = append(out, got{off, string(body)})
				used += headerSize + size
				buf = body
			}
		}
		want, wantUsed, wantErr := decode(bytes.NewReader(data))
		if wantErr == nil {
			t.Fatal("the decoder never failed (the input is finite)")
		}
		if errors.Is(wantErr, io.EOF) && wantUsed != len(data) {
			t.Fatalf("clean EOF after %d of %d bytes", wantUsed, len(data))
		}
		for _, slow := range []bool{false, true} {
			if slow && len(data) > 4096 {
				continue
			}
			frames, used, err := decode(twoPieces(data, int(split), slow))
			if used != wantUsed || len(frames) != len(want) || err.Error() != wantErr.Error() {
				t.Fatalf("split at %d (slow %v): %d frames, %d bytes, %v; whole: %d, %d, %v",
					split, slow, len(frames), used, err, len(want), wantUsed, wantErr)
			}
			for i := range frames {
				if frames[i] != want[i] {
					t.Fatalf("frame %d differs when split", i)
				}
			}
		}
	})
}

func TestParseReport(t *testing.T) {
	var b [reportSize]byte
	copy(b[:], appendReport(nil, 1234567890123))
	if off, err := parseReport(&b); err != nil || off != 1234567890123 {
		t.Fatalf("parseReport: %d %v", off, err)
	}
	copy(b[:], appendReport(nil, -5))
	if _, err := parseReport(&b); !errors.Is(err, ErrProtocol) {
		t.Fatalf("negative report: %v", err)
	}
}

func TestReadBodyGrowsWithInput(t *testing.T) {
	// A header announcing MaxBodySize followed by 10 bytes must not make
	// the slave allocate 64 MiB.
	body, err := readBody(bytes.NewReader(make([]byte, 10)), nil, MaxBodySize)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short body: %v", err)
	}
	if cap(body) > 2*bodyGrowStep {
		t.Fatalf("buffer grew to %d bytes for 10 received", cap(body))
	}
	data := bytes.Repeat([]byte("0123456789"), 100_000)
	body, err = readBody(iotest.HalfReader(bytes.NewReader(data)), make([]byte, 0, 16), len(data))
	if err != nil || !bytes.Equal(body, data) {
		t.Fatalf("1 MB body: %d bytes, %v", len(body), err)
	}
	if cap(body) > 2*len(data) {
		t.Fatalf("buffer of %d bytes for a %d-byte body", cap(body), len(data))
	}
	// A buffer large enough is reused.
	buf := make([]byte, 0, 100)
	body, err = readBody(bytes.NewReader([]byte("abc")), buf, 3)
	if err != nil || string(body) != "abc" || &body[0] != &buf[:1][0] {
		t.Fatalf("reuse: %q %v", body, err)
	}
}
