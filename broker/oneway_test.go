package broker_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// A one-way request (FlagOneway) is executed but answered with nothing, as
// Java does: after each one below, a normal request follows on the same
// connection and the next frame the broker sends is that request's answer,
// which also shows the one-way request took effect. Covered: one-way
// UPDATE_CONSUMER_OFFSET, SEND_MESSAGE_V2 and END_TRANSACTION (the Java and
// Go clients send offsets and transaction outcomes one-way), a one-way
// request that fails, and one of an unknown code.
// With SYNC_FLUSH the send answers from a goroutine of its own, after the
// flush; that late answer is dropped too.
func TestOnewayRequestsRunWithoutAnswer(t *testing.T) {
	for _, flush := range []string{broker.AsyncFlush, broker.SyncFlush} {
		t.Run(flush, func(t *testing.T) {
			testOneway(t, brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.FlushDiskType = flush })))
		})
	}
}

func testOneway(t *testing.T, b *broker.Broker) {
	topic, group := uniqueName("t_oneway"), uniqueName("g_oneway")
	rc := dialRaw(t, b.Addr())
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	sendExt := func(props string, sysFlag int) string {
		return `"a":"pg_oneway","b":` + jsonString(topic) + `,"c":"TBW102","d":1,"e":0,"f":` + strconv.Itoa(sysFlag) +
			`,"g":` + ts + `,"h":0,"i":` + jsonString(props) + `,"j":0,"k":false,"m":false`
	}
	maxOffset := func() int64 {
		t.Helper()
		resp := rc.callJSON(t, jsonHeader(remoting.GetMaxOffset, 0, `"topic":`+jsonString(topic)+`,"queueId":0`), nil)
		off, err := resp.ExtFields.Int64("offset")
		if resp.Code != remoting.Success || err != nil {
			t.Fatalf("GET_MAX_OFFSET: code %d (%s) %v", resp.Code, resp.Remark, err)
		}
		return off
	}
	// waitMaxOffset polls until the queue ends at want: with SYNC_FLUSH a
	// send completes on a goroutine of its own. Every poll checks that the
	// next answer is its own.
	waitMaxOffset := func(want int64, what string) {
		t.Helper()
		deadline := time.Now().Add(rawTimeout)
		for got := maxOffset(); got != want; got = maxOffset() {
			if time.Now().After(deadline) {
				t.Fatalf("after %s the queue ends at %d, want %d", what, got, want)
			}
		}
	}

	// One-way send: stored.
	rc.writeJSON(t, jsonHeader(remoting.SendMessageV2, remoting.FlagOneway, sendExt("", 0)), []byte("one-way"))
	waitMaxOffset(1, "a one-way send")

	// One-way offset update: stored, then queried.
	rc.writeJSON(t, jsonHeader(remoting.UpdateConsumerOffset, remoting.FlagOneway, `"consumerGroup":"`+group+
		`","topic":`+jsonString(topic)+`,"queueId":0,"commitOffset":1`), nil)
	resp := rc.callJSON(t, jsonHeader(remoting.QueryConsumerOffset, 0, `"consumerGroup":"`+group+
		`","topic":`+jsonString(topic)+`,"queueId":0`), nil)
	if off := resp.ExtFields.Get("offset"); resp.Code != remoting.Success || off != "1" {
		t.Fatalf("offset after a one-way update: code %d (%s) offset %q, want 1", resp.Code, resp.Remark, off)
	}

	// A half message, committed by a one-way END_TRANSACTION: visible.
	half := message.PropertyTransactionPrepared + "\x01true\x02" + message.PropertyProducerGroup + "\x01pg_oneway\x02"
	resp = rc.callJSON(t, jsonHeader(remoting.SendMessageV2, 0, sendExt(half, message.FlagTransactionPrepared)), []byte("tx"))
	if resp.Code != remoting.Success {
		t.Fatalf("half message: code %d (%s)", resp.Code, resp.Remark)
	}
	_, halfOffset, err := message.ParseOffsetMsgID(resp.ExtFields.Get("msgId"))
	if err != nil {
		t.Fatalf("half message id %q: %v", resp.ExtFields.Get("msgId"), err)
	}
	if got := maxOffset(); got != 1 {
		t.Fatalf("a half message is visible: the queue ends at %d, want 1", got)
	}
	rc.writeJSON(t, jsonHeader(remoting.EndTransaction, remoting.FlagOneway, `"producerGroup":"pg_oneway",`+
		`"tranStateTableOffset":0,"commitLogOffset":`+strconv.FormatInt(halfOffset, 10)+
		`,"commitOrRollback":8,"fromTransactionCheck":false,"msgId":"x","transactionId":"x"`), nil)
	waitMaxOffset(2, "a one-way commit")

	// Failing and unknown one-way requests get no answer either.
	rc.writeJSON(t, jsonHeader(remoting.UpdateConsumerOffset, remoting.FlagOneway, `"topic":"x"`), nil)
	rc.writeJSON(t, jsonHeader(9999, remoting.FlagOneway, ``), nil)
	if got := maxOffset(); got != 2 {
		t.Fatalf("queue ends at %d, want 2", got)
	}
}
