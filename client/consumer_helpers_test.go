package client

// Helpers for the consumer tests: a broker with fast delay levels, clients,
// topics, raw sends and an inbox recording what handlers saw.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/memnet"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// waitTimeout bounds every wait for an event in these tests: generous, so
// a loaded machine does not fail them; a correct run takes far less.
const waitTimeout = 30 * time.Second

// fastDelays makes every delay level 50ms, so retries come back at once.
var fastDelays = strings.TrimSpace(strings.Repeat("50ms ", 18))

// startBroker starts a test broker with fast delay levels.
func startBroker(t *testing.T, edit ...func(*broker.Config)) *broker.Broker {
	t.Helper()
	return brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) {
		c.MessageDelayLevel = fastDelays
		for _, e := range edit {
			e(c)
		}
	}))
}

// newTestClient returns a client of b with its own instance name (so its
// own client id), closed at the end of the test.
func newTestClient(t *testing.T, b *broker.Broker, instance string, opts ...Option) *Client {
	t.Helper()
	c, err := New(Config{NameServers: []string{b.Addr()}, InstanceName: instance}, opts...)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// createTopic creates a topic with n queues.
func createTopic(t *testing.T, c *Client, b *broker.Broker, topic string, n int) {
	t.Helper()
	req := remoting.NewClientRequest(remoting.UpdateAndCreateTopic, remoting.Fields{
		{Key: "topic", Value: topic}, {Key: "defaultTopic", Value: "TBW102"},
		{Key: "readQueueNums", Value: strconv.Itoa(n)}, {Key: "writeQueueNums", Value: strconv.Itoa(n)},
		{Key: "perm", Value: "6"}, {Key: "topicFilterType", Value: "SINGLE_TAG"}, {Key: "topicSysFlag", Value: "0"},
		{Key: "order", Value: "false"}}, nil)
	if _, err := c.callOK(t.Context(), b.Addr(), req); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

// testMsg is a message for send.
type testMsg struct {
	queue int
	tag   string
	body  string
}

// send stores messages with raw SEND_MESSAGE requests and returns their
// msg ids (UNIQ_KEY) in order.
func send(t *testing.T, c *Client, b *broker.Broker, topic string, msgs ...testMsg) []string {
	t.Helper()
	ids := make([]string, 0, len(msgs))
	for _, m := range msgs {
		id := message.NewUniqKey(c.host, time.Now())
		props := message.FormatProperties(map[string]string{message.PropertyUniqKey: id})
		if m.tag != "" {
			props = message.SetProperty(props, message.PropertyTags, m.tag)
		}
		req := remoting.NewClientRequest(remoting.SendMessage, remoting.Fields{
			{Key: "producerGroup", Value: "test-producer"}, {Key: "topic", Value: topic},
			{Key: "queueId", Value: strconv.Itoa(m.queue)}, {Key: "sysFlag", Value: "0"},
			{Key: "bornTimestamp", Value: strconv.FormatInt(time.Now().UnixMilli(), 10)}, {Key: "flag", Value: "0"},
			{Key: "properties", Value: props}, {Key: "reconsumeTimes", Value: "0"}, {Key: "unitMode", Value: "false"},
			{Key: "defaultTopic", Value: "TBW102"}, {Key: "defaultTopicQueueNums", Value: "4"},
			{Key: "batch", Value: "false"}}, []byte(m.body))
		if _, err := c.callOK(t.Context(), b.Addr(), req); err != nil {
			t.Fatalf("send to %s queue %d: %v", topic, m.queue, err)
		}
		ids = append(ids, id)
	}
	return ids
}

// spread returns n messages over queues 0..queues-1, bodies "0".."n-1".
func spread(n, queues int, tag string) []testMsg {
	out := make([]testMsg, n)
	for i := range out {
		out[i] = testMsg{queue: i % queues, tag: tag, body: strconv.Itoa(i)}
	}
	return out
}

// maxOffset is a queue's max offset (GET_MAX_OFFSET).
func maxOffset(t *testing.T, c *Client, b *broker.Broker, topic string, queue int) int64 {
	t.Helper()
	req := remoting.NewClientRequest(remoting.GetMaxOffset, remoting.Fields{
		{Key: "topic", Value: topic}, {Key: "queueId", Value: strconv.Itoa(queue)}}, nil)
	resp, err := c.callOK(t.Context(), b.Addr(), req)
	if err != nil {
		t.Fatalf("max offset of %s/%d: %v", topic, queue, err)
	}
	off, err := resp.ExtFields.Int64("offset")
	if err != nil {
		t.Fatal(err)
	}
	return off
}

// committedOffsets returns the group's committed offset per queue of topic,
// as the broker has it.
func committedOffsets(b *broker.Broker, group, topic string) map[int]int64 {
	out := map[int]int64{}
	for _, s := range b.ConsumeStats(group, topic) {
		out[int(s.QueueID)] = s.ConsumerOffset
	}
	return out
}

// inbox records the messages handlers saw.
type inbox struct {
	mu   sync.Mutex
	msgs []*MessageExt
	ch   chan struct{}
}

func newInbox() *inbox { return &inbox{ch: make(chan struct{}, 1)} }

func (in *inbox) add(msgs ...*MessageExt) {
	in.mu.Lock()
	in.msgs = append(in.msgs, msgs...)
	in.mu.Unlock()
	select {
	case in.ch <- struct{}{}:
	default:
	}
}

// handler records every message and answers res (ConsumeSuccess when nil).
func (in *inbox) handler(res func(*MessageExt) ConsumeResult) Handler {
	return func(_ context.Context, msgs []*MessageExt) ConsumeResult {
		in.add(msgs...)
		if res == nil {
			return ConsumeSuccess
		}
		out := ConsumeSuccess
		for _, m := range msgs {
			if r := res(m); r != ConsumeSuccess {
				out = r
			}
		}
		return out
	}
}

func (in *inbox) all() []*MessageExt {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.msgs)
}

func (in *inbox) len() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.msgs)
}

// wait waits until at least n messages arrived.
func (in *inbox) wait(t *testing.T, n int) []*MessageExt {
	t.Helper()
	deadline := time.After(waitTimeout)
	for in.len() < n {
		select {
		case <-in.ch:
		case <-deadline:
			t.Fatalf("received %d messages, want %d within %v", in.len(), n, waitTimeout)
		}
	}
	return in.all()
}

// waitUntil polls cond until it holds, failing the test after waitTimeout.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startConsumer creates and starts a consumer, closed at the end of the
// test (if the test did not close it).
func startConsumer(t *testing.T, c *Client, cfg ConsumerConfig, h Handler) *Consumer {
	t.Helper()
	con, err := c.NewConsumer(cfg, h)
	if err != nil {
		t.Fatalf("new consumer: %v", err)
	}
	if err := con.Start(t.Context()); err != nil {
		t.Fatalf("start consumer: %v", err)
	}
	t.Cleanup(func() { closeConsumer(t, con) })
	return con
}

func closeConsumer(t *testing.T, con *Consumer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := con.Close(ctx); err != nil {
		t.Errorf("close consumer: %v", err)
	}
}

// bodies returns the bodies of msgs.
func bodies(msgs []*MessageExt) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Body)
	}
	return out
}

// countIDs counts deliveries per msg id.
func countIDs(msgs []*MessageExt) map[string]int {
	out := map[string]int{}
	for _, m := range msgs {
		out[m.MsgID]++
	}
	return out
}

func queueIDs(qs []MessageQueue) string {
	var sb strings.Builder
	for _, q := range qs {
		fmt.Fprintf(&sb, "%s/%d ", q.Topic, q.QueueID)
	}
	return sb.String()
}

// faultNet sits between clients and brokers: it answers the requests it is
// told to fail itself (they never reach the broker), drops the broker's
// requests it is told to drop, and counts what passes. Its connections end
// when either side closes.
type faultNet struct {
	dial func(ctx context.Context, network, addr string) (net.Conn, error) // nil: TCP

	mu      sync.Mutex
	answers map[int16]func(req *remoting.Command) *remoting.Command // by request code; guarded by mu
	drops   map[int16]bool                                          // broker → client request codes; guarded by mu
	seen    map[int16]int                                           // client requests per code; guarded by mu
}

// fail makes requests of code answered by answer (nil: let them through).
func (f *faultNet) fail(code int16, answer func(req *remoting.Command) *remoting.Command) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.answers == nil {
		f.answers = map[int16]func(*remoting.Command) *remoting.Command{}
	}
	if answer == nil {
		delete(f.answers, code)
	} else {
		f.answers[code] = answer
	}
}

// failWith answers requests of code with an error code.
func (f *faultNet) failWith(code, resp int16) {
	f.fail(code, func(req *remoting.Command) *remoting.Command {
		return remoting.NewResponse(req, resp, "injected by the test")
	})
}

// drop makes the broker's requests of code (e.g. NOTIFY_CONSUMER_IDS_CHANGED)
// vanish.
func (f *faultNet) drop(code int16, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.drops == nil {
		f.drops = map[int16]bool{}
	}
	f.drops[code] = on
}

func (f *faultNet) count(code int16) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[code]
}

func (f *faultNet) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	dial := f.dial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	broker, err := dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	app, proxy := net.Pipe()
	var wmu sync.Mutex
	toApp := func(cmd *remoting.Command) error {
		wmu.Lock()
		defer wmu.Unlock()
		_, err := proxy.Write(remoting.AppendFrame(nil, cmd))
		return err
	}
	stop := func() {
		_ = proxy.Close()
		_ = broker.Close()
	}
	go func() { // client → broker
		defer stop()
		r := bufio.NewReaderSize(proxy, 64<<10)
		for {
			cmd, err := remoting.ReadCommand(r, 1<<27)
			if err != nil {
				return
			}
			f.mu.Lock()
			answer := f.answers[cmd.Code]
			if !cmd.IsResponse() {
				if f.seen == nil {
					f.seen = map[int16]int{}
				}
				f.seen[cmd.Code]++
			}
			f.mu.Unlock()
			if answer != nil && !cmd.IsResponse() {
				if !cmd.IsOneway() && toApp(answer(cmd)) != nil {
					return
				}
				continue
			}
			if _, err := broker.Write(remoting.AppendFrame(nil, cmd)); err != nil {
				return
			}
		}
	}()
	go func() { // broker → client
		defer stop()
		r := bufio.NewReaderSize(broker, 64<<10)
		for {
			cmd, err := remoting.ReadCommand(r, 1<<27)
			if err != nil {
				return
			}
			f.mu.Lock()
			dropped := !cmd.IsResponse() && f.drops[cmd.Code]
			f.mu.Unlock()
			if !dropped && toApp(cmd) != nil {
				return
			}
		}
	}()
	return app, nil
}

// startVirtualBroker starts a broker on network, for tests inside a
// testing/synctest bubble (where brokertest's TCP listener would keep the
// clock from advancing); closed at the end of the test.
func startVirtualBroker(t *testing.T, network *memnet.Network, edit ...func(*broker.Config)) *broker.Broker {
	t.Helper()
	cfg := broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), MessageDelayLevel: fastDelays}
	for _, e := range edit {
		e(&cfg)
	}
	b, err := broker.Start(t.Context(), cfg, broker.WithListenFunc(network.Listen))
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close broker: %v", err)
		}
	})
	return b
}
