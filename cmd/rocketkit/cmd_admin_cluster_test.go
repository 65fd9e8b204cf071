package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
)

// clusterList shows each master with its connected slaves and how far
// they acknowledged, and each slave with its lag behind the master.
func TestAdminClusterListShowsReplication(t *testing.T) {
	c := brokertest.StartCluster(t, brokertest.ClusterSpec{NameServers: 1, MasterRole: broker.SyncMaster})
	g := c.Groups[0]
	cl, err := client.New(client.Config{NameServers: c.NamesrvAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	p, err := cl.NewProducer(client.ProducerConfig{Group: "cluster-list"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if res, err := p.Send(ctx, &client.Message{Topic: "listed", Body: []byte("replicated")}); err != nil || res.Status != client.SendOK {
		t.Fatalf("send: %v %v", res, err)
	}
	if err := g.WaitCaughtUp(10 * time.Second); err != nil {
		t.Fatal(err)
	}

	ns := c.NamesrvAddrs()[0]
	out := mustRun(t, "admin", "clusterList", "-n", ns)
	wantContains(t, "clusterList", out, "SYNC_MASTER", "1 slave(s), acked to", "SLAVE", "behind 0 bytes", g.Slaves[0].Addr())
	var rows []clusterRow
	if err := json.Unmarshal([]byte(mustRun(t, "admin", "-n", ns, "-o", "json", "clusterList")), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Slaves != 1 || rows[0].AckOffset != rows[0].MaxOffset || rows[0].MaxOffset <= 0 ||
		rows[1].Role != broker.Slave || rows[1].Behind == nil || *rows[1].Behind != 0 {
		t.Errorf("clusterList -o json: %+v", rows)
	}
}
