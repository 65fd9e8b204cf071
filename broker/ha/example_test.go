package ha_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"github.com/rocketkit/rocketkit/broker/ha"
	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// A SYNC_MASTER and its slave in one process: the master's store wakes
// the streamers through OnAppend, a send waits for the slave's
// acknowledgement, and the slave's store reads the same record.
func Example() {
	dir, _ := os.MkdirTemp("", "ha-example")
	defer os.RemoveAll(dir)

	var master atomic.Pointer[ha.Master]
	ms, _ := store.Open(store.Config{Dir: dir + "/master", OnAppend: func(string, int32) {
		if m := master.Load(); m != nil {
			m.Notify()
		}
	}})
	defer ms.Close()
	m := ha.NewMaster(ha.MasterConfig{Store: ms})
	master.Store(m)
	ln, _ := net.Listen("tcp", "127.0.0.1:0") // haListenPort
	go m.Serve(ln)
	defer m.Close()

	ss, _ := store.Open(store.Config{Dir: dir + "/slave"})
	defer ss.Close()
	slave := ha.NewSlave(ha.SlaveConfig{Store: ss, MasterAddr: func() string { return ln.Addr().String() }})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { slave.Run(ctx); close(done) }()
	defer func() { stop(); <-done }()
	for len(m.Slaves()) == 0 { // a slave counts once it reported its offset
		time.Sleep(time.Millisecond)
	}

	msg := message.Ext{Topic: "Orders", Body: []byte("order 1"),
		BornHost: netip.MustParseAddrPort("10.0.0.1:5000"), StoreHost: netip.MustParseAddrPort("10.0.0.2:10911")}
	res, _ := ms.Append(ctx, []store.Entry{store.NewEntry(&msg, nil)})
	end := res[0].CommitLogOffset + int64(res[0].Size)
	fmt.Println(m.WaitReplicated(ctx, end, 5*time.Second))

	got, _ := ss.Get("Orders", 0, 0, 1, nil, nil)
	recs, _ := message.DecodeAll(got.Records, true)
	fmt.Println(string(recs[0].Body), recs[0].CommitLogOffset == res[0].CommitLogOffset)
	// Output:
	// REPLICATED
	// order 1 true
}
