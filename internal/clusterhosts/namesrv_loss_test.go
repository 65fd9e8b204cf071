package clusterhosts_test

import (
	"testing"
	"time"
)

// asyncMasters starts ns1, ns2 and the ASYNC_MASTERs broker-a (m1) and
// broker-b (m2), and creates a topic on both.
func asyncMasters(t *testing.T, prefix string) (*cluster, string) {
	c := newCluster(t)
	c.startNamesrv("ns1")
	c.startNamesrv("ns2")
	c.startBroker("m1", brokerSpec{Name: "broker-a", ID: 0, Role: "ASYNC_MASTER"})
	c.startBroker("m2", brokerSpec{Name: "broker-b", ID: 0, Role: "ASYNC_MASTER"})
	return c, c.createTopic(prefix, "broker-a", "broker-b")
}

// S15: the first name server is lost under load: its process SIGKILLed
// (connections to it are refused) or its host's cable cut (they time
// out). Both clients, each given both name servers (the lost one first),
// keep producing through both brokers and consuming; producers started
// after the loss find the routes through ns2, and so do consumers of new
// groups after a kill; every SEND_OK message is consumed by every
// consumer, of either client.
func TestNameServerLoss(t *testing.T) {
	for _, tc := range []struct {
		name string
		lose func(c *cluster)
		// newGroups starts consumers of new groups after the loss: their
		// first heartbeat makes the brokers register the group's retry
		// topic, which must not wait for the unreachable name server.
		newGroups bool
	}{
		{"killed", func(c *cluster) { c.kill("ns1") }, true},
		{"cable-cut", func(c *cluster) {
			c.net.LinkDown("ns1")
			c.t.Logf("%v: cut ns1's cable", c.since())
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) { nameServerLoss(t, tc.lose, tc.newGroups) })
	}
}

func nameServerLoss(t *testing.T, lose func(*cluster), newGroups bool) {
	c, topic := asyncMasters(t, "ns-loss")
	kinds := []string{kitClient, officialClient}
	var consumers []*consumerHandle
	for _, kind := range kinds {
		consumers = append(consumers, c.startConsumer(kind+"-through", kind, topic))
	}
	loads := []*loadHandle{c.startLoad("kit", kitClient, topic, 200), c.startLoad("official", officialClient, topic, 200)}
	for _, l := range loads {
		l.phase("both-name-servers")
	}
	for _, l := range loads {
		for _, b := range []string{"broker-a", "broker-b"} {
			l.wait("sending to "+b, waitFor{Count: 100, Broker: b, Timeout: 30 * time.Second})
		}
	}

	lose(c)
	for _, l := range loads {
		l.phase("ns1-lost")
	}
	late := []*loadHandle{c.startLoad("kit-late", kitClient, topic, 100), c.startLoad("official-late", officialClient, topic, 100)}
	for _, l := range late {
		l.phase("ns1-lost")
	}
	loads = append(loads, late...)
	if newGroups {
		for _, kind := range kinds {
			consumers = append(consumers, c.startConsumer(kind+"-after", kind, topic))
		}
	}
	for _, l := range loads {
		for _, b := range []string{"broker-a", "broker-b"} {
			l.wait("sending to "+b+" with ns1 lost", waitFor{Count: 100, Broker: b, Streak: 20, Timeout: 30 * time.Second})
		}
	}

	recs := map[string][]sendRecord{}
	var all []sendRecord
	for _, l := range loads {
		recs[l.name] = l.stop()
		all = append(all, recs[l.name]...)
	}
	want := acked(all)
	var got []consumed
	for _, h := range consumers {
		got = append(got, h.finish(want))
	}
	c.report(recs, got)
	for name, rs := range recs {
		if errs := errorsIn(rs, "ns1-lost"); len(errs) > 0 {
			t.Logf("%s: send errors with ns1 lost: %v", name, errs)
		}
	}
}
