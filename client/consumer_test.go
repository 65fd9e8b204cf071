package client

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/internal/memnet"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/payload"
)

func TestConsumerConfigValidate(t *testing.T) {
	ok := func() ConsumerConfig {
		return ConsumerConfig{Group: "g", Subscriptions: []Subscription{{Topic: "t"}}}
	}
	tests := []struct {
		name  string
		edit  func(*ConsumerConfig)
		field string // "" = valid
	}{
		{"defaults", func(*ConsumerConfig) {}, ""},
		{"no group", func(c *ConsumerConfig) { c.Group = "" }, "Group"},
		{"bad group", func(c *ConsumerConfig) { c.Group = "a b" }, "Group"},
		{"retry group", func(c *ConsumerConfig) { c.Group = "%RETRY%g" }, "Group"},
		{"no subscription", func(c *ConsumerConfig) { c.Subscriptions = nil }, "Subscriptions"},
		{"bad topic", func(c *ConsumerConfig) { c.Subscriptions[0].Topic = "a/b" }, "Subscriptions[0].Topic"},
		{"twice", func(c *ConsumerConfig) { c.Subscriptions = append(c.Subscriptions, Subscription{Topic: "t"}) }, "Subscriptions[1].Topic"},
		{"empty tags", func(c *ConsumerConfig) { c.Subscriptions[0].Expression = " || " }, "Subscriptions[0].Expression"},
		{"empty SQL", func(c *ConsumerConfig) { c.Subscriptions[0].SQL = true }, "Subscriptions[0].Expression"},
		{"SQL", func(c *ConsumerConfig) { c.Subscriptions[0] = Subscription{Topic: "t", SQL: true, Expression: "a > 1"} }, ""},
		{"consume from", func(c *ConsumerConfig) { c.ConsumeFrom = "middle" }, "ConsumeFrom"},
		{"pull batch", func(c *ConsumerConfig) { c.PullBatchSize = 1025 }, "PullBatchSize"},
		{"consume batch", func(c *ConsumerConfig) { c.ConsumeBatchSize = -1 }, "ConsumeBatchSize"},
		{"concurrency", func(c *ConsumerConfig) { c.Concurrency = -2 }, "Concurrency"},
		{"threshold", func(c *ConsumerConfig) { c.PullThresholdPerQueue = -1 }, "PullThresholdPerQueue"},
		{"delay level", func(c *ConsumerConfig) { c.RetryDelayLevel = -1 }, "RetryDelayLevel"},
		{"suspend", func(c *ConsumerConfig) { c.SuspendInterval = -time.Second }, "SuspendInterval"},
		{"renew too slow", func(c *ConsumerConfig) { c.LockRenewInterval = 30 * time.Second }, "LockRenewInterval"},
		{"pull hold", func(c *ConsumerConfig) { c.PullHold = 2 * time.Minute }, "PullHold"},
		{"broadcasting without dir", func(c *ConsumerConfig) { c.Broadcasting = true }, "OffsetDir"},
		{"broadcasting", func(c *ConsumerConfig) { c.Broadcasting, c.OffsetDir = true, "x" }, ""},
		{"never redeliver", func(c *ConsumerConfig) { c.MaxReconsumeTimes = -1 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok()
			tt.edit(&cfg)
			cfg.setDefaults(time.Now())
			err := cfg.Validate()
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.field != "" && (err == nil || !strings.Contains(err.Error(), "ConsumerConfig."+tt.field+":")):
				t.Fatalf("Validate() = %v, want an error naming %s", err, tt.field)
			}
		})
	}
}

func TestConsumerConfigDefaults(t *testing.T) {
	now := time.Now()
	cfg := ConsumerConfig{Group: "g", Subscriptions: []Subscription{{Topic: "t"}}, ConsumeFrom: ConsumeFromTimestamp}
	cfg.setDefaults(now)
	want := ConsumerConfig{Group: "g", Subscriptions: cfg.Subscriptions, ConsumeFrom: ConsumeFromTimestamp,
		ConsumeTimestamp: now.Add(-30 * time.Minute), MaxReconsumeTimes: 16, PullBatchSize: 32, ConsumeBatchSize: 1,
		Concurrency: 20, PullThresholdPerQueue: 1024, SuspendInterval: time.Second, RebalanceInterval: 20 * time.Second,
		OffsetCommitInterval: 5 * time.Second, LockRenewInterval: 20 * time.Second, PullHold: 20 * time.Second}
	if !cfg.ConsumeTimestamp.Equal(want.ConsumeTimestamp) {
		t.Fatalf("ConsumeTimestamp = %v, want %v", cfg.ConsumeTimestamp, want.ConsumeTimestamp)
	}
	cfg.ConsumeTimestamp, want.ConsumeTimestamp = time.Time{}, time.Time{}
	if !slices.Equal(cfg.Subscriptions, want.Subscriptions) {
		t.Fatal("subscriptions changed")
	}
	cfg.Subscriptions, want.Subscriptions = nil, nil
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
}

func TestParseExpression(t *testing.T) {
	tests := []struct {
		in   Subscription
		expr string
		tags []string
	}{
		{Subscription{}, "*", nil},
		{Subscription{Expression: " * "}, "*", nil},
		{Subscription{Expression: "a"}, "a", []string{"a"}},
		{Subscription{Expression: "a || b ||a|| c "}, "a || b ||a|| c", []string{"a", "b", "c"}},
		{Subscription{Expression: "a > 1", SQL: true}, "a > 1", nil},
	}
	for _, tt := range tests {
		s, err := parseExpression(tt.in)
		if err != nil || s.expr != tt.expr || !slices.Equal(s.tags, tt.tags) || s.sql != tt.in.SQL {
			t.Errorf("parseExpression(%+v) = %+v, %v; want expr %q tags %q", tt.in, s, err, tt.expr, tt.tags)
		}
	}
	s, _ := parseExpression(Subscription{Expression: "a||b"})
	for tag, want := range map[string]bool{"a": true, "b": true, "c": false, "": false} {
		if s.matches(tag) != want {
			t.Errorf("matches(%q) = %v", tag, !want)
		}
	}
}

// The heartbeat registers the subscriptions as the official client does:
// tags with their hash codes, the retry topic with "*" when clustering, SQL92
// expressions as such, and a namespace on every name.
func TestConsumerHeartbeatData(t *testing.T) {
	c, err := New(Config{NameServers: []string{"127.0.0.1:1"}, Namespace: "ns"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	con, err := c.NewConsumer(ConsumerConfig{Group: "g", ConsumeFrom: ConsumeFromFirstOffset, Subscriptions: []Subscription{
		{Topic: "t", Expression: "TagA || TagC"}, {Topic: "s", Expression: "a > 1", SQL: true}}},
		func(context.Context, []*MessageExt) ConsumeResult { return ConsumeSuccess })
	if err != nil {
		t.Fatal(err)
	}
	d := con.heartbeat()
	if d.Group != "ns%g" || d.ConsumeType != payload.ConsumePassively || d.MessageModel != payload.Clustering ||
		d.ConsumeFrom != payload.ConsumeFromFirstOffset || len(d.Subscriptions) != 3 {
		t.Fatalf("heartbeat data %+v", d)
	}
	tag, sql, retry := d.Subscriptions[0], d.Subscriptions[1], d.Subscriptions[2]
	if tag.Topic != "ns%t" || tag.Expression != "TagA || TagC" || tag.ExpressionType != payload.ExpressionTag ||
		!slices.Equal(tag.Tags, []string{"TagA", "TagC"}) || !slices.Equal(tag.Codes, []string{"2598919", "2598921"}) {
		t.Errorf("tag subscription %+v", tag)
	}
	if sql.Topic != "ns%s" || sql.Expression != "a > 1" || sql.ExpressionType != payload.ExpressionSQL92 || len(sql.Tags) != 0 {
		t.Errorf("SQL subscription %+v", sql)
	}
	if retry.Topic != "%RETRY%ns%g" || retry.Expression != "*" || retry.ExpressionType != payload.ExpressionTag {
		t.Errorf("retry subscription %+v", retry)
	}
	// Encoding a heartbeat must not write into the consumer's own data.
	_ = payload.Heartbeat{ClientID: "x", Consumers: []payload.ConsumerData{d}}.Encode()
	if !slices.Equal(con.heartbeat().Subscriptions[0].Tags, []string{"TagA", "TagC"}) {
		t.Error("heartbeat data changed")
	}
}

// Basic consumption: messages stored before Start (from the first offset)
// and after are each delivered once, with their metadata, and their offsets
// are committed by Close.
func TestConsumerConsumesEveryMessage(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "c1")
	createTopic(t, c, b, "orders", 4)
	before := send(t, c, b, "orders", spread(40, 4, "created")...)

	in := newInbox()
	con := startConsumer(t, c, ConsumerConfig{Group: "billing", ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: "orders"}}}, in.handler(nil))
	in.wait(t, 40)
	after := send(t, c, b, "orders", spread(20, 4, "paid")...)
	msgs := in.wait(t, 60)

	counts := countIDs(msgs)
	for _, id := range append(before, after...) {
		if counts[id] != 1 {
			t.Errorf("message %s delivered %d times", id, counts[id])
		}
	}
	if len(msgs) != 60 {
		t.Errorf("%d deliveries, want 60", len(msgs))
	}
	for _, m := range msgs {
		if m.Topic != "orders" || m.Queue.Topic != "orders" || m.Queue.BrokerName != b.Config().BrokerName ||
			m.ReconsumeTimes != 0 || m.StoreTime.IsZero() || m.CommitLogOffset < 0 || (m.Tag != "created" && m.Tag != "paid") {
			t.Fatalf("message metadata %+v", m)
		}
	}
	if got := con.Queues(); len(got) != 5 { // 4 + the retry queue
		t.Errorf("owned queues %s", queueIDs(got))
	}
	closeConsumer(t, con)
	for q, off := range committedOffsets(b, "billing", "orders") {
		if off != 15 {
			t.Errorf("queue %d committed at %d, want 15", q, off)
		}
	}
	if members := b.GroupMembers("billing"); len(members) != 0 {
		t.Errorf("still registered after Close: %+v", members)
	}
}

// ConsumeFromLastOffset skips what was stored before the group's first
// start (on queues not young any more, so the broker does not override it);
// a restarted member resumes from the committed offsets.
func TestConsumerConsumeFromAndResume(t *testing.T) {
	b := startBroker(t, func(c *broker.Config) { c.InMemoryWindow = -1 })
	c := newTestClient(t, b, "c1")
	createTopic(t, c, b, "events", 2)
	send(t, c, b, "events", spread(10, 2, "")...)

	in := newInbox()
	cfg := ConsumerConfig{Group: "late", Subscriptions: []Subscription{{Topic: "events"}}}
	con := startConsumer(t, c, cfg, in.handler(nil))
	want := send(t, c, b, "events", spread(4, 2, "")...)
	msgs := in.wait(t, 4)
	closeConsumer(t, con)
	if got := countIDs(msgs); len(got) != 4 || got[want[0]] != 1 || got[want[3]] != 1 {
		t.Fatalf("got %v, want only the messages sent after start %v", bodies(msgs), want)
	}

	more := send(t, c, b, "events", spread(6, 2, "")...)
	in2 := newInbox()
	startConsumer(t, c, cfg, in2.handler(nil))
	msgs = in2.wait(t, 6)
	if got := countIDs(msgs); len(got) != 6 || got[more[0]] != 1 || got[more[5]] != 1 {
		t.Fatalf("resumed with %v, want the 6 messages sent while stopped", bodies(msgs))
	}
}

// The broker filters by the heartbeat's tags and the client filters again;
// the committed offsets pass the filtered messages.
func TestConsumerTagFilter(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "c1")
	createTopic(t, c, b, "tagged", 2)
	var msgs []testMsg
	for i, tag := range []string{"a", "b", "c", "", "a", "c", "b", "x"} {
		msgs = append(msgs, testMsg{queue: i % 2, tag: tag, body: tag})
	}
	send(t, c, b, "tagged", msgs...)
	in := newInbox()
	con := startConsumer(t, c, ConsumerConfig{Group: "ab", ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: "tagged", Expression: "a || b"}}}, in.handler(nil))
	in.wait(t, 4)
	send(t, c, b, "tagged", testMsg{queue: 0, tag: "b", body: "last"})
	got := in.wait(t, 5)
	bs := bodies(got)
	slices.Sort(bs)
	if !slices.Equal(bs, []string{"a", "a", "b", "b", "last"}) {
		t.Fatalf("delivered %q", bs)
	}
	closeConsumer(t, con)
	if off := committedOffsets(b, "ab", "tagged"); off[0] != 5 || off[1] != 4 {
		t.Fatalf("committed %v, want the queue ends 5 and 4", off)
	}
}

func TestConsumerStartFailsWithoutRoute(t *testing.T) {
	b := startBroker(t, func(c *broker.Config) { c.DisableAutoCreateTopic = true })
	c := newTestClient(t, b, "c1")
	in := newInbox()
	con, err := c.NewConsumer(ConsumerConfig{Group: "g", ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: "missing"}}}, in.handler(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := con.Start(t.Context()); !errors.Is(err, ErrTopicNotExist) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("Start = %v, want ErrTopicNotExist naming the topic", err)
	}
	if members := b.GroupMembers("g"); len(members) != 0 {
		t.Fatalf("a failed start left the member registered: %+v", members)
	}
	// Start again once the topic exists.
	createTopic(t, c, b, "missing", 1)
	if err := con.Start(t.Context()); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	send(t, c, b, "missing", testMsg{body: "x"})
	in.wait(t, 1)
	closeConsumer(t, con)
	if err := con.Start(t.Context()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Close = %v, want ErrClosed", err)
	}
	closeConsumer(t, con) // idempotent
}

// A SQL92 subscription is registered as such (TestConsumerSQLSubscriptionFilters
// shows the broker filtering by it).
func TestConsumerSQLSubscriptionRegistered(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "c1")
	createTopic(t, c, b, "sql", 1)
	startConsumer(t, c, ConsumerConfig{Group: "sqlg", Subscriptions: []Subscription{{Topic: "sql", SQL: true,
		Expression: "price > 10"}}}, newInbox().handler(nil))
	members := b.GroupMembers("sqlg")
	if len(members) != 1 {
		t.Fatalf("members %+v", members)
	}
	i := slices.IndexFunc(members[0].Subscriptions, func(s broker.Subscription) bool { return s.Topic == "sql" })
	if i < 0 || members[0].Subscriptions[i].ExpressionType != "SQL92" || members[0].Subscriptions[i].Expression != "price > 10" {
		t.Fatalf("subscriptions %+v", members[0].Subscriptions)
	}
}

// Close waits for a running handler, commits its message, and the group's
// next member does not get it again; in virtual time, so "Close is still
// waiting" is a fact, not a guess.
func TestConsumerCloseDrainsHandlers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network memnet.Network
		b := startVirtualBroker(t, &network)
		c := newTestClient(t, b, "c1", WithDialFunc(network.Dial))
		createTopic(t, c, b, "slow", 1)
		send(t, c, b, "slow", testMsg{body: "first"})

		entered, release := make(chan struct{}), make(chan struct{})
		cfg := ConsumerConfig{Group: "drain", ConsumeFrom: ConsumeFromFirstOffset, Subscriptions: []Subscription{{Topic: "slow"}}}
		con, err := c.NewConsumer(cfg, func(context.Context, []*MessageExt) ConsumeResult {
			close(entered)
			<-release
			return ConsumeSuccess
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := con.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		<-entered
		closed := make(chan error)
		go func() { closed <- con.Close(context.Background()) }()
		synctest.Wait() // everything that can run has run: Close waits
		select {
		case err := <-closed:
			t.Fatalf("Close returned (%v) while a handler was running", err)
		default:
		}
		close(release)
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
		if off := committedOffsets(b, "drain", "slow"); off[0] != 1 {
			t.Fatalf("committed %v, want 1", off)
		}

		send(t, c, b, "slow", testMsg{body: "second"})
		in := newInbox()
		startConsumer(t, c, cfg, in.handler(nil))
		if got := bodies(in.wait(t, 1)); got[0] != "second" {
			t.Fatalf("the next member got %q first, want only the second message", got)
		}
	})
}

// Close gives up on a handler that does not return when its ctx ends: the
// handler's ctx is cancelled and Close reports it.
func TestConsumerCloseBoundedByContext(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "c1")
	createTopic(t, c, b, "stuck", 1)
	send(t, c, b, "stuck", testMsg{body: "x"})
	entered, returned := make(chan struct{}), make(chan struct{})
	con, err := c.NewConsumer(ConsumerConfig{Group: "stuck", ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: "stuck"}}}, func(ctx context.Context, _ []*MessageExt) ConsumeResult {
		close(entered)
		<-ctx.Done()
		defer close(returned)
		return ConsumeSuccess
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := con.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := con.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want DeadlineExceeded", err)
	}
	<-returned
	if off := committedOffsets(b, "stuck", "stuck"); off[0] != 0 {
		t.Fatalf("committed %v: the unfinished message must not be committed", off)
	}
	con.wg.Wait() // the worker returns with the handler
}

// A handler panic counts as ConsumeRetry: the message comes back.
func TestConsumerHandlerPanic(t *testing.T) {
	b := startBroker(t)
	c := newTestClient(t, b, "c1")
	createTopic(t, c, b, "boom", 1)
	id := send(t, c, b, "boom", testMsg{body: "x"})[0]
	in := newInbox()
	startConsumer(t, c, ConsumerConfig{Group: "boom", ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: "boom"}}}, in.handler(func(m *MessageExt) ConsumeResult {
		if m.ReconsumeTimes == 0 {
			panic("first delivery fails")
		}
		return ConsumeSuccess
	}))
	msgs := in.wait(t, 2)
	if msgs[1].MsgID != id || msgs[1].ReconsumeTimes != 1 || msgs[1].Topic != "boom" {
		t.Fatalf("redelivery %+v", msgs[1])
	}
}

// Namespaced names never reach the handler: topics (also restored from the
// retry topic) are bare.
func TestConsumerNamespace(t *testing.T) {
	b := startBroker(t)
	c, err := New(Config{NameServers: []string{b.Addr()}, Namespace: "prod", InstanceName: "ns"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	createTopic(t, c, b, "prod%orders", 1)
	send(t, c, b, "prod%orders", testMsg{body: "x"})
	in := newInbox()
	con := startConsumer(t, c, ConsumerConfig{Group: "g", ConsumeFrom: ConsumeFromFirstOffset,
		Subscriptions: []Subscription{{Topic: "orders"}}}, in.handler(func(m *MessageExt) ConsumeResult {
		if m.ReconsumeTimes == 0 {
			return ConsumeRetry
		}
		return ConsumeSuccess
	}))
	msgs := in.wait(t, 2)
	for _, m := range msgs {
		if m.Topic != "orders" {
			t.Fatalf("topic %q", m.Topic)
		}
	}
	if msgs[1].Queue.Topic != message.RetryTopic("g") {
		t.Fatalf("redelivery read from %v", msgs[1].Queue)
	}
	if got := con.Queues(); len(got) != 2 || got[0].Topic != "%RETRY%g" || got[1].Topic != "orders" {
		t.Fatalf("queues %v", got)
	}
	if len(b.GroupMembers("prod%g")) != 1 {
		t.Fatal("not registered under the namespaced group")
	}
}

// ConsumeFromTimestamp starts a new group at the first message stored at or
// after ConsumeTimestamp; in virtual time, so the timestamps are exact.
func TestConsumerConsumeFromTimestamp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var network memnet.Network
		b := startVirtualBroker(t, &network, func(c *broker.Config) { c.InMemoryWindow = -1 })
		c := newTestClient(t, b, "c1", WithDialFunc(network.Dial))
		createTopic(t, c, b, "history", 1)
		send(t, c, b, "history", spread(3, 1, "old")...)
		time.Sleep(time.Second)
		from := time.Now()
		send(t, c, b, "history", testMsg{tag: "new", body: "new"})
		in := newInbox()
		startConsumer(t, c, ConsumerConfig{Group: "replay", ConsumeFrom: ConsumeFromTimestamp, ConsumeTimestamp: from,
			Subscriptions: []Subscription{{Topic: "history"}}}, in.handler(nil))
		if msgs := in.wait(t, 1); string(msgs[0].Body) != "new" {
			t.Fatalf("started at %q", msgs[0].Body)
		}
	})
}
