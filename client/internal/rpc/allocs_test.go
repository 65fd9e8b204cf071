package rpc_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// serveNoAlloc answers every request with SUCCESS and field offset=0
// without allocating per request, so that allocation counts in a process
// running it are the client's.
func serveNoAlloc(nc net.Conn) {
	r := bufio.NewReaderSize(nc, 64<<10)
	w := bufio.NewWriterSize(nc, 64<<10)
	resp := &remoting.Command{Code: remoting.Success, Flag: remoting.FlagResponse,
		ExtFields: remoting.Fields{{Key: "offset", Value: "0"}}}
	var (
		length [4]byte
		frame  = make([]byte, 0, 64<<10)
		out    = make([]byte, 0, 4<<10)
		key    = []byte(`"opaque":`)
	)
	for {
		if _, err := io.ReadFull(r, length[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(length[:]))
		if n > cap(frame) {
			return
		}
		frame = frame[:n]
		if _, err := io.ReadFull(r, frame); err != nil {
			return
		}
		i := bytes.Index(frame, key)
		if i < 0 {
			return
		}
		op := 0
		for _, ch := range frame[i+len(key):] {
			if ch < '0' || ch > '9' {
				break
			}
			op = op*10 + int(ch-'0')
		}
		resp.Opaque = int32(op)
		out = remoting.AppendFrame(out[:0], resp)
		if _, err := w.Write(out); err != nil {
			return
		}
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

// TestConnCallAllocs: a Call allocates nothing of its own; what remains is
// the response the reader decodes (the Command with its fields, and one
// string for its header).
func TestConnCallAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations")
	}
	addr := tcpServer(t, nil, func(p *peer) { serveNoAlloc(p.nc) })
	c, err := rpc.Dial(t.Context(), addr, rpc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := maxOffsetRequest("T")
	ctx := context.Background()
	call := func() {
		if _, err := c.Call(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 {
		call() // warm up buffers and the call records
	}
	allocs := testing.AllocsPerRun(1000, call)
	t.Logf("%.2f allocations per Call", allocs)
	if allocs > 2 {
		t.Errorf("%.2f allocations per Call, want at most 2 (the response)", allocs)
	}
}
