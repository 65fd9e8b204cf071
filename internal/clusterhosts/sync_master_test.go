package clusterhosts_test

import (
	"slices"
	"testing"
	"time"
)

// syncMasters starts ns1, ns2, broker-a (SYNC_MASTER m1, SLAVE s1) and
// broker-b (SYNC_MASTER m2, SLAVE s2), all with slaveReadEnable, and
// creates a topic on both masters.
func syncMasters(t *testing.T, prefix string) (*cluster, string) {
	c := newCluster(t)
	c.startNamesrv("ns1")
	c.startNamesrv("ns2")
	c.startBroker("m1", brokerSpec{Name: "broker-a", ID: 0, Role: "SYNC_MASTER", SlaveRead: true})
	c.startBroker("m2", brokerSpec{Name: "broker-b", ID: 0, Role: "SYNC_MASTER", SlaveRead: true})
	c.startBroker("s1", brokerSpec{Name: "broker-a", ID: 1, Role: "SLAVE", SlaveRead: true})
	c.startBroker("s2", brokerSpec{Name: "broker-b", ID: 1, Role: "SLAVE", SlaveRead: true})
	return c, c.createTopic(prefix, "broker-a", "broker-b")
}

// replicating waits until both SYNC_MASTERs answer SEND_OK, 20 sends in
// a row each: their slaves are connected and in sync (until then they
// answer SLAVE_NOT_AVAILABLE). Its sends are in phase "warm-up".
func (l *loadHandle) replicating() {
	l.c.t.Helper()
	l.phase("warm-up")
	for _, b := range []string{"broker-a", "broker-b"} {
		l.wait(b+" replicating", waitFor{Count: 20, Broker: b, Streak: 20, Timeout: 30 * time.Second})
	}
}

// S13, S16: a SYNC_MASTER answers SEND_OK only once its slave has the
// message, so when broker-a's master is SIGKILLed under load, every
// SEND_OK message is still there: a new group reads broker-a's queues
// from its slave (the master is down) and broker-b's from either, and
// gets every one of them.
func TestSyncMasterKillReadFromSlave(t *testing.T) {
	c, topic := syncMasters(t, "sync-kill")
	l := c.startLoad("kit", kitClient, topic, 200)
	l.replicating()
	l.phase("steady")
	for _, b := range []string{"broker-a", "broker-b"} {
		l.wait("sending to "+b, waitFor{Count: 200, Broker: b, Timeout: 30 * time.Second})
	}

	l.phase("a-killed")
	c.kill("m1")
	l.wait("sending through broker-b alone", waitFor{Count: 300, Broker: "broker-b", Streak: 300, Timeout: 30 * time.Second})
	recs := l.stop()

	got := c.consume("kit-from-slave", kitClient, topic, acked(recs))
	c.report(map[string][]sendRecord{"kit": recs}, []consumed{got})
	if got.ByBroker["broker-a"] == 0 {
		t.Errorf("nothing was consumed from broker-a's queues (its slave): %v", got.ByBroker)
	}
}

// S13: broker-a's slave is cut off (its cable) under SYNC_MASTER. Sends
// to broker-a are stored but answered FLUSH_SLAVE_TIMEOUT (after
// syncFlushTimeout, 1s) while the master still counts the slave, then
// SLAVE_NOT_AVAILABLE once it dropped it (no report for the
// housekeeping interval); the kit's client reports both in SendResult.
// Once the cable is mended the slave catches up and sends are SEND_OK
// again; every message stored, whatever its status, is consumed.
func TestSyncMasterSlaveCutOff(t *testing.T) {
	c, topic := syncMasters(t, "slave-cut")
	l := c.startLoad("kit", kitClient, topic, 100)
	l.replicating()
	l.phase("steady")
	l.wait("sending to broker-a", waitFor{Count: 100, Broker: "broker-a", Timeout: 30 * time.Second})

	l.phase("s1-cut")
	c.net.LinkDown("s1")
	c.t.Logf("%v: cut s1's cable", c.since())
	l.wait("FLUSH_SLAVE_TIMEOUT from broker-a", waitFor{Count: 3, Status: statusFlushSlaveTimout, Broker: "broker-a", Timeout: 30 * time.Second})
	l.wait("SLAVE_NOT_AVAILABLE from broker-a", waitFor{Count: 3, Status: statusSlaveNotAvail, Broker: "broker-a", Streak: 3, Timeout: 60 * time.Second})

	l.phase("s1-back")
	c.net.LinkUp("s1")
	c.t.Logf("%v: mended s1's cable", c.since())
	l.wait("SEND_OK from broker-a again", waitFor{Count: 50, Broker: "broker-a", Streak: 50, Timeout: 60 * time.Second})
	recs := l.stop()

	// Every status but ERROR means stored.
	var stored []string
	for _, r := range recs {
		if r.Status != statusError && r.Status != statusUnfinished {
			stored = append(stored, r.Body)
		}
	}
	got := c.consume("kit-after", kitClient, topic, stored)
	f := c.report(map[string][]sendRecord{"kit": recs}, []consumed{got})
	if got.Missing > 0 {
		t.Errorf("%d messages stored with a FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE answer were not consumed", got.Missing-f.lost)
	}
	for _, r := range recs {
		if r.Phase == "steady" && r.Status != statusOK {
			t.Errorf("before the cut: %+v", r)
			break
		}
	}
	// A FLUSH_SLAVE_TIMEOUT comes after the master waited syncFlushTimeout
	// for the slave, not before.
	var waits []time.Duration
	for _, r := range recs {
		if r.Status == statusFlushSlaveTimout {
			waits = append(waits, r.Took)
		}
	}
	slices.Sort(waits)
	if len(waits) > 0 {
		t.Logf("FLUSH_SLAVE_TIMEOUT answered after %v (fastest), %v (median), %v (slowest); syncFlushTimeout %v",
			waits[0].Round(time.Millisecond), waits[len(waits)/2].Round(time.Millisecond),
			waits[len(waits)-1].Round(time.Millisecond), syncFlushTimeout)
		if waits[0] < syncFlushTimeout-50*time.Millisecond {
			t.Errorf("a FLUSH_SLAVE_TIMEOUT came %v after the send, before syncFlushTimeout (%v)", waits[0], syncFlushTimeout)
		}
	}
}

// Issue 16's acceptance: the official client, given both name servers,
// sends 200 keyed messages to a SYNC_MASTER with a slave; the master is
// SIGKILLed; a new consumer group reading from the first offset receives
// all 200 intact (body and key) from the slave. (The official Go client
// cannot read a group without its master, so the kit's client reads.)
func TestOfficialKeyedSendsSurviveMasterKill(t *testing.T) {
	c := newCluster(t)
	c.startNamesrv("ns1")
	c.startNamesrv("ns2")
	c.startBroker("m1", brokerSpec{Name: "broker-a", ID: 0, Role: "SYNC_MASTER"})
	c.startBroker("s1", brokerSpec{Name: "broker-a", ID: 1, Role: "SLAVE"})
	topic := c.createTopic("keyed", "broker-a")
	warm := c.startLoad("warm", kitClient, topic, 100)
	warm.phase("warm-up")
	warm.wait("broker-a replicating", waitFor{Count: 20, Broker: "broker-a", Streak: 20, Timeout: 30 * time.Second})
	warmRecs := warm.stop()

	o := c.startLoadOf("official", officialClient, topic, 200, 200)
	o.phase("keyed")
	o.wait("200 sent", waitFor{Count: 200, Broker: "broker-a", Timeout: time.Minute})
	recs := o.stop()
	if ok := len(acked(recs)); len(recs) != 200 || ok != 200 {
		t.Fatalf("the official client sent %d, %d SEND_OK; want 200 SEND_OK from the SYNC_MASTER", len(recs), ok)
	}
	c.kill("m1")
	got := c.consume("kit-from-slave", kitClient, topic, acked(warmRecs, recs))
	c.report(map[string][]sendRecord{"official": recs, "warm-up": warmRecs}, []consumed{got})
	if got.ByBroker["broker-a"] < 200 {
		t.Errorf("%d read from broker-a's slave, want all", got.ByBroker["broker-a"])
	}
}
