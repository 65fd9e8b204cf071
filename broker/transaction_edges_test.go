package broker_test

import (
	"strconv"
	"testing"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// sendHalf stores a half message of producer group pg on queue 0 of topic
// and returns its commit-log offset and message id.
func sendHalf(t *testing.T, c *rawConn, topic, pg, body string) (int64, string) {
	t.Helper()
	props := message.SetProperty(message.SetProperty("", message.PropertyTransactionPrepared, "true"),
		message.PropertyProducerGroup, pg)
	fields := sendFields(topic, "0", props)
	fields.Set("producerGroup", pg)
	fields.Set("sysFlag", strconv.Itoa(int(message.FlagTransactionPrepared)))
	resp := c.mustCall(t, remoting.SendMessage, fields, []byte(body))
	if resp.Code != remoting.Success {
		t.Fatalf("send half: code %d (%s)", resp.Code, resp.Remark)
	}
	id := resp.ExtFields.Get("msgId")
	_, off, err := message.ParseOffsetMsgID(id)
	if err != nil {
		t.Fatalf("half message id %q: %v", id, err)
	}
	return off, id
}

// endTx sends END_TRANSACTION as the Java client writes it.
func endTx(t *testing.T, c *rawConn, pg string, off int64, id string, state int) *remoting.Command {
	t.Helper()
	return c.mustCall(t, remoting.EndTransaction, remoting.Fields{
		{Key: "producerGroup", Value: pg},
		{Key: "tranStateTableOffset", Value: "0"},
		{Key: "commitLogOffset", Value: strconv.FormatInt(off, 10)},
		{Key: "commitOrRollback", Value: strconv.Itoa(state)},
		{Key: "fromTransactionCheck", Value: "false"},
		{Key: "msgId", Value: id},
		{Key: "transactionId", Value: id},
	}, nil)
}

// TestEndTransactionEdges sends END_TRANSACTION the ways a confused or
// retrying producer does: from the wrong group (refused, the message stays
// pending), twice (the second is ignored: one delivery), and a rollback
// after a commit or a commit after a rollback (ignored).
func TestEndTransactionEdges(t *testing.T) {
	b := brokertest.Start(t)
	c := dialRaw(t, b.Addr())
	topic, pg := uniqueName("t_txedge"), "pg_txedge"
	const commit, rollback = 8, 12

	offA, idA := sendHalf(t, c, topic, pg, "a")
	offB, idB := sendHalf(t, c, topic, pg, "b")
	if n := b.Stats().PendingTransactions[topic]; n != 2 {
		t.Fatalf("pending: %d, want 2", n)
	}
	if resp := endTx(t, c, "pg_intruder", offA, idA, commit); resp.Code != remoting.SystemError {
		t.Errorf("END_TRANSACTION from another group: code %d (%s), want SYSTEM_ERROR", resp.Code, resp.Remark)
	}
	if n := b.Stats().PendingTransactions[topic]; n != 2 {
		t.Fatalf("pending after a refused END_TRANSACTION: %d, want 2", n)
	}
	if got := queueBodies(t, c, topic); len(got) != 0 {
		t.Fatalf("visible after a refused commit: %q", got)
	}
	for i, step := range []struct {
		off   int64
		id    string
		state int
	}{{offA, idA, commit}, {offA, idA, commit}, {offA, idA, rollback}, {offB, idB, rollback}, {offB, idB, commit}} {
		if resp := endTx(t, c, pg, step.off, step.id, step.state); resp.Code != remoting.Success {
			t.Fatalf("step %d: code %d (%s)", i, resp.Code, resp.Remark)
		}
	}
	if n := b.Stats().PendingTransactions[topic]; n != 0 {
		t.Errorf("pending after both were settled: %d, want 0", n)
	}
	if got := queueBodies(t, c, topic); len(got) != 1 || got[0] != "a" {
		t.Errorf("visible: %q, want [a] once (b rolled back)", got)
	}
}

// queueBodies returns the bodies stored in queue 0 of topic.
func queueBodies(t *testing.T, c *rawConn, topic string) []string {
	t.Helper()
	resp := c.mustCall(t, remoting.PullMessage, pullFields("g_txedge", topic, 0, 0, 32, 0), nil)
	switch resp.Code {
	case remoting.PullNotFound, remoting.PullOffsetMoved:
		return nil
	case remoting.Success:
	default:
		t.Fatalf("pull %s: code %d (%s)", topic, resp.Code, resp.Remark)
	}
	var out []string
	for rest := resp.Body; len(rest) > 0; {
		m, n, err := message.Decode(rest, true)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(m.Body))
		rest = rest[n:]
	}
	return out
}
