package broker_test

import (
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Requests a client pipelined in one write are all answered, in order, and
// their answers leave together: far fewer socket writes than answers. A
// request sent after them, alone, is answered too (nothing stays held).
func TestPipelinedAnswersLeaveTogether(t *testing.T) {
	b := brokertest.Start(t)
	c := dialRaw(t, b.Addr())
	const n = 300
	var batch []byte
	for i := 1; i <= n; i++ {
		batch = remoting.AppendFrame(batch, &remoting.Command{Code: remoting.GetBrokerClusterInfo, Language: "GO",
			Version: remoting.Version, Opaque: int32(i)})
	}
	before := b.Stats()
	if err := c.write(batch); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		_ = c.nc.SetReadDeadline(time.Now().Add(rawTimeout))
		resp, err := remoting.ReadCommand(c.r, 256<<20)
		if err != nil {
			t.Fatalf("answer %d of %d: %v", i, n, err)
		}
		if !resp.IsResponse() || resp.Opaque != int32(i) || resp.Code != remoting.Success {
			t.Fatalf("answer %d: opaque %d, code %d, response %v", i, resp.Opaque, resp.Code, resp.IsResponse())
		}
	}
	after := b.Stats()
	frames, writes := after.FramesWritten-before.FramesWritten, after.Writes-before.Writes
	t.Logf("%d pipelined requests: %d answers in %d writes", n, frames, writes)
	if frames < n || writes > frames/4 {
		t.Errorf("%d answers in %d writes: the answers to pipelined requests were not coalesced", frames, writes)
	}
	c.opaque = n
	if _, err := c.call(remoting.GetBrokerClusterInfo, nil, nil); err != nil {
		t.Fatalf("a lone request after the batch: %v", err)
	}
}
