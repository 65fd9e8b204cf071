package broker_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// requester is the official producer's request-reply API.
type requester interface {
	Request(ctx context.Context, timeout time.Duration, msg *primitive.Message) (*primitive.Message, error)
}

// startRequester starts an official producer that makes requests,
// shut down at test end.
func startRequester(t *testing.T, b *broker.Broker) requester {
	t.Helper()
	p, err := producer.NewDefaultProducer(
		producer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		producer.WithGroupName(uniqueName("pg_req")),
		producer.WithInstanceName(uniqueName("req")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

// startResponder starts an official consumer on topic that answers every
// request as the official client's example does: CreateReplyMessage, sent
// with a producer. The reply body is "re: " + the request's. The
// responder records the requests it saw and the results of its replies.
type responder struct {
	mu       sync.Mutex
	requests []*primitive.MessageExt
	results  []*primitive.SendResult
	errs     []error
}

func startResponder(t *testing.T, b *broker.Broker, topic string) *responder {
	t.Helper()
	r := &responder{}
	replies := startProducer(t, b)
	c := newConsumer(t, b, uniqueName("c_resp"))
	err := c.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				r.mu.Lock()
				r.requests = append(r.requests, m)
				r.mu.Unlock()
				reply, err := consumer.CreateReplyMessage(m, nil)
				var res *primitive.SendResult
				if err == nil {
					// The official CreateReplyMessage parses its body argument
					// as properties and leaves Body empty: set it here.
					reply.Body = append([]byte("re: "), m.Body...)
					res, err = replies.SendSync(ctx, reply)
				}
				r.mu.Lock()
				if err != nil {
					r.errs = append(r.errs, err)
				} else {
					r.results = append(r.results, res)
				}
				r.mu.Unlock()
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return r
}

// The official producer's Request gets the reply an official responder
// sends back: the broker pushes it with PUSH_REPLY_MESSAGE_TO_CLIENT to
// the requester (REPLY_TO_CLIENT) and stores it in the cluster's reply
// topic, which exists from the start.
func TestRequestReplyOfficialClients(t *testing.T) {
	b := brokertest.Start(t)
	topic := uniqueName("t_rpc")
	resp := startResponder(t, b, topic)
	req := startRequester(t, b)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range 3 {
		body := "ping " + strconv.Itoa(i)
		reply, err := req.Request(ctx, 20*time.Second, primitive.NewMessage(topic, []byte(body)))
		if err != nil {
			resp.mu.Lock()
			t.Fatalf("request %d: %v (responder saw %d requests, errors %v)", i, err, len(resp.requests), resp.errs)
		}
		if got, want := string(reply.Body), "re: "+body; got != want {
			t.Errorf("reply %d body %q, want %q", i, got, want)
		}
		if reply.Topic != b.Config().ClusterName+"_REPLY_TOPIC" {
			t.Errorf("reply %d topic %q, want %s_REPLY_TOPIC", i, reply.Topic, b.Config().ClusterName)
		}
		if reply.GetProperty(message.PropertyMsgType) != "reply" || reply.GetProperty(message.PropertyPushReplyTime) == "" {
			t.Errorf("reply %d properties %v: want MSG_TYPE=reply and PUSH_REPLY_TIME", i, reply.GetProperties())
		}
	}

	// The responder's send returns after the push reached the requester.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		resp.mu.Lock()
		n := len(resp.results) + len(resp.errs)
		resp.mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
	}
	resp.mu.Lock()
	defer resp.mu.Unlock()
	// The official requester sometimes closes the connection a pushed
	// reply came on right after taking it, before its answer reaches the
	// broker, which then reports the push failed to the responder (as
	// Java's broker would). The requests above got their replies; other
	// errors are failures.
	for _, err := range resp.errs {
		if !strings.Contains(err.Error(), "push reply message") {
			t.Errorf("responder error: %v", err)
		}
	}
	if len(resp.requests) != 3 {
		t.Fatalf("responder saw %d requests, want 3", len(resp.requests))
	}
	for _, m := range resp.requests {
		if m.GetProperty(message.PropertyCluster) != b.Config().ClusterName || m.GetProperty(message.PropertyReplyToClient) == "" ||
			m.GetProperty(message.PropertyCorrelationID) == "" {
			t.Errorf("request properties %v: want CLUSTER, REPLY_TO_CLIENT and CORRELATION_ID", m.GetProperties())
		}
	}
	var offsets []int64
	for _, r := range resp.results {
		if r.Status != primitive.SendOK || len(r.OffsetMsgID) != 32 {
			t.Errorf("reply send result %v: want SEND_OK with the stored copy's offset message id", r)
		}
		offsets = append(offsets, r.QueueOffset)
	}
	// The responder's sends may return in any order (its handler runs
	// concurrently): the offsets, sorted, are consecutive.
	slices.Sort(offsets)
	if len(offsets) == 3 && (offsets[1] != offsets[0]+1 || offsets[2] != offsets[1]+1) {
		t.Errorf("reply queue offsets %v: want consecutive (each reply stored)", offsets)
	}
}

// A request nobody answers ends with the client's timeout error once its
// timeout passed, and leaves nothing running (TestMain's leak check).
func TestRequestWithoutResponderTimesOut(t *testing.T) {
	b := brokertest.Start(t)
	req := startRequester(t, b)
	const timeout = time.Second
	start := time.Now()
	_, err := req.Request(context.Background(), timeout, primitive.NewMessage(uniqueName("t_rpc_nobody"), []byte("anyone?")))
	if err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("request without responder: err %v, want the client's reply timeout", err)
	}
	if d := time.Since(start); d < timeout {
		t.Errorf("request failed after %v, before its timeout %v", d, timeout)
	}
}

// replyFields is a SEND_REPLY_MESSAGE (long keys) header for topic.
func replyFields(topic, props string) remoting.Fields {
	return remoting.Fields{
		{Key: "producerGroup", Value: "pg_raw"}, {Key: "topic", Value: topic}, {Key: "defaultTopic", Value: "TBW102"},
		{Key: "defaultTopicQueueNums", Value: "4"}, {Key: "queueId", Value: "0"}, {Key: "sysFlag", Value: "0"},
		{Key: "bornTimestamp", Value: strconv.FormatInt(time.Now().UnixMilli(), 10)}, {Key: "flag", Value: "0"},
		{Key: "properties", Value: props}, {Key: "reconsumeTimes", Value: "0"}, {Key: "unitMode", Value: "false"},
	}
}

// props builds a property string.
func props(kv ...string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return message.FormatProperties(m)
}

// A reply whose requester is not connected, or that names none, is
// answered SYSTEM_ERROR with Java's remark, and stored all the same.
func TestSendReplyNotPushed(t *testing.T) {
	b := brokertest.Start(t)
	replyTopic := b.Config().ClusterName + "_REPLY_TOPIC"
	c := dialRaw(t, b.Addr())
	cases := []struct {
		props, remark string
	}{
		{props(message.PropertyMsgType, "reply", message.PropertyCorrelationID, "c1", message.PropertyReplyToClient, "10.0.0.9@gone"),
			"channel of <10.0.0.9@gone> not found"},
		{props(message.PropertyMsgType, "reply", message.PropertyCorrelationID, "c2"), "properties[REPLY_TO_CLIENT] is null"},
	}
	for i, tc := range cases {
		resp := c.mustCall(t, remoting.SendReplyMessage, replyFields(replyTopic, tc.props), []byte("late"))
		if resp.Code != remoting.SystemError || !strings.Contains(resp.Remark, tc.remark) {
			t.Errorf("case %d: code %d (%s), want SYSTEM_ERROR with %q", i, resp.Code, resp.Remark, tc.remark)
		}
		if got := resp.ExtFields.Get("queueOffset"); got != strconv.Itoa(i) {
			t.Errorf("case %d: queueOffset %q, want %d (stored anyway)", i, got, i)
		}
		if len(resp.ExtFields.Get("msgId")) != 32 {
			t.Errorf("case %d: msgId %q, want the stored copy's", i, resp.ExtFields.Get("msgId"))
		}
	}
}

// SEND_REPLY_MESSAGE_V2 (short header keys, as the Java client sends
// replies) reaches a requester that heartbeated on another connection as
// PUSH_REPLY_MESSAGE_TO_CLIENT with the reply's header and body; the
// responder's answer follows the requester's: SUCCESS, or SYSTEM_ERROR
// when the requester refused the push.
func TestSendReplyV2PushedToRequester(t *testing.T) {
	b := brokertest.Start(t)
	replyTopic := b.Config().ClusterName + "_REPLY_TOPIC"
	const clientID = "10.1.2.3@requester"
	requesterConn := dialRaw(t, b.Addr())
	hb := `{"clientID":"` + clientID + `","producerDataSet":[{"groupName":"pg_req"}],"consumerDataSet":[]}`
	if resp := requesterConn.mustCall(t, remoting.HeartBeat, nil, []byte(hb)); resp.Code != remoting.Success {
		t.Fatalf("heartbeat: code %d (%s)", resp.Code, resp.Remark)
	}
	responderConn := dialRaw(t, b.Addr())

	for i, answer := range []int16{remoting.Success, remoting.SystemError} {
		corr := "corr-" + strconv.Itoa(i)
		p := props(message.PropertyMsgType, "reply", message.PropertyCorrelationID, corr, message.PropertyReplyToClient, clientID)
		fields := remoting.Fields{
			{Key: "a", Value: "pg_resp"}, {Key: "b", Value: replyTopic}, {Key: "c", Value: "TBW102"}, {Key: "d", Value: "4"},
			{Key: "e", Value: "0"}, {Key: "f", Value: "0"}, {Key: "g", Value: "1700000000000"}, {Key: "h", Value: "7"},
			{Key: "i", Value: p}, {Key: "j", Value: "0"}, {Key: "k", Value: "false"},
		}
		type result struct {
			resp *remoting.Command
			err  error
		}
		done := make(chan result, 1)
		go func() {
			resp, err := responderConn.call(remoting.SendReplyMessageV2, fields, []byte("pong"))
			done <- result{resp, err}
		}()

		_ = requesterConn.nc.SetReadDeadline(time.Now().Add(rawTimeout))
		push, err := remoting.ReadCommand(requesterConn.r, 1<<20)
		if err != nil {
			t.Fatalf("read the push: %v", err)
		}
		f := push.ExtFields
		switch {
		case push.Code != remoting.PushReplyMessageToClient || push.IsResponse():
			t.Fatalf("requester got code %d (response %v), want PUSH_REPLY_MESSAGE_TO_CLIENT", push.Code, push.IsResponse())
		case string(push.Body) != "pong" || f.Get("topic") != replyTopic || f.Get("bornTimestamp") != "1700000000000" ||
			f.Get("flag") != "7" || f.Get("producerGroup") != "pg_resp" || f.Get("storeHost") == "" ||
			f.Get("bornHost") != responderConn.nc.LocalAddr().String():
			t.Errorf("push %v body %q: header or body not the reply's", f, push.Body)
		}
		if v, _ := message.GetProperty(f.Get("properties"), message.PropertyCorrelationID); v != corr {
			t.Errorf("pushed properties %q: CORRELATION_ID %q, want %q", f.Get("properties"), v, corr)
		}
		if v, _ := message.GetProperty(f.Get("properties"), message.PropertyPushReplyTime); v == "" {
			t.Errorf("pushed properties %q lack PUSH_REPLY_TIME", f.Get("properties"))
		}
		ans := remoting.NewResponse(push, answer, "")
		if err := requesterConn.write(remoting.AppendFrame(nil, ans)); err != nil {
			t.Fatal(err)
		}

		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		want := remoting.Success
		if answer != remoting.Success {
			want = remoting.SystemError
		}
		if r.resp.Code != want {
			t.Errorf("push answered %d: responder got code %d (%s), want %d", answer, r.resp.Code, r.resp.Remark, want)
		}
		if got := r.resp.ExtFields.Get("queueOffset"); got != strconv.Itoa(i) {
			t.Errorf("reply %d: queueOffset %q, want %d", i, got, i)
		}
	}
}
