package broker_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Inner messages of a batch that carry DELAY, TIMER_DELIVER_MS or TRAN_MSG
// are stored as they are, as ordinary immediate messages, as Java does: the
// official client's batch is SEND_OK and every message is in the topic at
// once and reaches a consumer.
func TestBatchInnerDelayTimerTranStoredImmediately(t *testing.T) {
	b := brokertest.Start(t)
	topic := uniqueName("t_batchprops")
	p := startProducer(t, b)
	sendSync(t, p, primitive.NewMessage(topic, []byte("first"))) // the topic, so the batch goes to one queue's route

	plain := primitive.NewMessage(topic, []byte("plain"))
	delayed := primitive.NewMessage(topic, []byte("delayed"))
	delayed.WithDelayTimeLevel(3)
	timed := primitive.NewMessage(topic, []byte("timed"))
	timed.WithProperty(message.PropertyTimerDeliverMS, strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10))
	tran := primitive.NewMessage(topic, []byte("tran"))
	tran.WithProperty(message.PropertyTransactionPrepared, "true")
	res, err := p.SendSync(t.Context(), plain, delayed, timed, tran)
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("batch: %v %v, want SEND_OK", res, err)
	}

	rc := dialRaw(t, b.Addr())
	stored := readLog(t, rc, topic)
	want := []string{"first", "plain", "delayed", "timed", "tran"}
	if got := bodiesOf(stored); !slices.Equal(sortedCopy(got), sortedCopy(want)) {
		t.Fatalf("topic holds %q right after the batch, want %q (none parked)", got, want)
	}
	for _, m := range stored {
		if m.SysFlag&message.FlagTransactionMask != 0 {
			t.Errorf("%s stored with transaction bits %x", m.Body, m.SysFlag)
		}
	}
	if s := b.Stats(); s.DelayedMessages != 0 || s.TimedMessages != 0 || len(s.PendingTransactions) != 0 {
		t.Errorf("parked: delayed %d, timed %d, pending transactions %v; want none",
			s.DelayedMessages, s.TimedMessages, s.PendingTransactions)
	}
	consumeFresh(t, b, topic, want, 30*time.Second)
}

// A delay level or transaction bits on the batch itself (the request
// header's properties or sysFlag) are refused as Java refuses them:
// MESSAGE_ILLEGAL, nothing stored, the connection kept.
func TestBatchWrapperDelayOrTransactionRefused(t *testing.T) {
	b := brokertest.Start(t)
	topic := uniqueName("t_batchwrap")
	rc := dialRaw(t, b.Addr())
	createTopicRaw(t, rc, topic, 1)
	var body []byte
	for i := range 2 {
		body = message.AppendBatchItem(body, message.BatchItem{Body: fmt.Appendf(nil, "m%d", i),
			Properties: message.PropertyKeys + "\x01k\x02"})
	}
	header := func(sysFlag int, props string) remoting.Fields {
		return remoting.Fields{{Key: "a", Value: "pg_batch"}, {Key: "b", Value: topic}, {Key: "c", Value: "TBW102"},
			{Key: "d", Value: "1"}, {Key: "e", Value: "0"}, {Key: "f", Value: strconv.Itoa(sysFlag)},
			{Key: "g", Value: strconv.FormatInt(time.Now().UnixMilli(), 10)}, {Key: "h", Value: "0"},
			{Key: "i", Value: props}, {Key: "j", Value: "0"}, {Key: "k", Value: "false"}, {Key: "m", Value: "true"}}
	}
	tests := []struct {
		name    string
		sysFlag int
		props   string
		reason  string
	}{
		{"prepared", message.FlagTransactionPrepared, "", "transactional"},
		{"commit", 0x8, "", "transactional"},
		{"delay level", 0, message.PropertyDelay + "\x013\x02", "delayed"},
	}
	for _, tt := range tests {
		resp := rc.mustCall(t, remoting.SendBatchMessage, header(tt.sysFlag, tt.props), body)
		if resp.Code != remoting.MessageIllegal || !strings.Contains(resp.Remark, tt.reason) {
			t.Errorf("%s: code %d (%s), want MESSAGE_ILLEGAL saying %s", tt.name, resp.Code, resp.Remark, tt.reason)
		}
	}
	if got := readLog(t, rc, topic); len(got) != 0 {
		t.Fatalf("refused batches stored %q", bodiesOf(got))
	}
	// DELAY=0 on the wrapper is no delay, as in Java.
	resp := rc.mustCall(t, remoting.SendBatchMessage, header(0, message.PropertyDelay+"\x010\x02"), body)
	if resp.Code != remoting.Success {
		t.Fatalf("batch with DELAY=0: code %d (%s), want SEND_OK", resp.Code, resp.Remark)
	}
	if got := bodiesOf(readLog(t, rc, topic)); !slices.Equal(got, []string{"m0", "m1"}) {
		t.Fatalf("stored %q, want the batch", got)
	}
}
