package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clienttest"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// newAdmin returns an admin client of b.
func newAdmin(t *testing.T, b *broker.Broker) *admin.Client {
	t.Helper()
	c, err := admin.New(admin.Config{NameServers: []string{b.Addr()}, Timeout: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// kitClient returns a RocketKit client of b, closed at test end.
func kitClient(t *testing.T, b *broker.Broker) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{NameServers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// inbox collects the bodies a RocketKit consumer received.
type inbox struct {
	mu     sync.Mutex
	bodies []string
}

func (in *inbox) handler(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, m := range msgs {
		in.bodies = append(in.bodies, string(m.Body))
	}
	return client.ConsumeSuccess
}

func (in *inbox) snapshot() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.bodies...)
}

// waitFor polls cond every 20ms until it holds or 30s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startKitConsumer starts a RocketKit consumer of topic in group from the
// first offset, closed at test end.
func startKitConsumer(t *testing.T, c *client.Client, group, topic string, in *inbox) *client.Consumer {
	t.Helper()
	con, err := c.NewConsumer(client.ConsumerConfig{Group: group, ConsumeFrom: client.ConsumeFromFirstOffset,
		Subscriptions: []client.Subscription{{Topic: topic}}}, in.handler)
	if err != nil {
		t.Fatal(err)
	}
	if err := con.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = con.Close(context.Background()) })
	return con
}

func sendKit(t *testing.T, c *client.Client, topic string, bodies ...string) {
	t.Helper()
	p, err := c.NewProducer(client.ProducerConfig{Group: "admin-test-kit"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, body := range bodies {
		if _, err := p.Send(t.Context(), &client.Message{Topic: topic, Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
}

// GET_BROKER_RUNTIME_INFO reports what the broker did, in the formats
// mqadmin brokerStatus and rocketmq-dashboard read.
func TestBrokerRuntimeInfo(t *testing.T) {
	before := time.Now()
	b := brokertest.Start(t)
	ad := newAdmin(t, b)
	kc := kitClient(t, b)
	sendKit(t, kc, "rt-topic", "a", "b", "c", "d", "e")
	in := &inbox{}
	startKitConsumer(t, kc, "rt-group", "rt-topic", in)
	waitFor(t, "5 messages consumed", func() bool { return len(in.snapshot()) == 5 })

	info, err := ad.BrokerRuntimeInfo(t.Context(), b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	num := func(key string) int64 {
		t.Helper()
		n, err := strconv.ParseInt(info[key], 10, 64)
		if err != nil {
			t.Fatalf("%s = %q: %v", key, info[key], err)
		}
		return n
	}
	if n := num("msgPutTotalTodayNow"); n != 5 {
		t.Errorf("msgPutTotalTodayNow = %d, want 5", n)
	}
	if n := num("msgGetTotalTodayNow"); n < 5 {
		t.Errorf("msgGetTotalTodayNow = %d, want at least 5", n)
	}
	for _, key := range []string{"putTps", "getTransferedTps", "getTransferredTps"} {
		tps, err := admin.ParseTPS(info[key])
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if tps[0] <= 0 || tps[1] <= 0 || tps[2] <= 0 {
			t.Errorf("%s = %q: want three positive rates (5 messages in the last seconds)", key, info[key])
		}
		if !regexp.MustCompile(`^\d+\.\d+ \d+\.\d+ \d+\.\d+$`).MatchString(info[key]) {
			t.Errorf("%s = %q, want Java's \"x.y x.y x.y\"", key, info[key])
		}
	}
	if max := num("commitLogMaxOffset"); max <= 0 || num("commitLogMinOffset") != 0 {
		t.Errorf("commit log offsets %s..%s, want 0..>0", info["commitLogMinOffset"], info["commitLogMaxOffset"])
	}
	if ts := num("earliestMessageTimeStamp"); ts < before.UnixMilli() || ts > time.Now().UnixMilli() {
		t.Errorf("earliestMessageTimeStamp %d is not the first message's store time (test began at %d)", ts, before.UnixMilli())
	}
	if boot := num("bootTimestamp"); boot < before.UnixMilli() || boot > time.Now().UnixMilli() {
		t.Errorf("bootTimestamp %d outside the test", boot)
	}
	if !regexp.MustCompile(`^\[ 0 days, 0 hours, \d+ minutes, \d+ seconds \]$`).MatchString(info["runtime"]) {
		t.Errorf("runtime = %q", info["runtime"])
	}
	if info["brokerVersionDesc"] == "" || info["dispatchBehindBytes"] != "0" {
		t.Errorf("brokerVersionDesc %q, dispatchBehindBytes %q", info["brokerVersionDesc"], info["dispatchBehindBytes"])
	}
	if r, err := strconv.ParseFloat(info["commitLogDiskRatio"], 64); err != nil || r > 1 {
		t.Errorf("commitLogDiskRatio = %q", info["commitLogDiskRatio"])
	}
}

// GET_BROKER_CONFIG shows the configuration by RocketMQ's key names;
// UPDATE_BROKER_CONFIG changes what can change at runtime, writes it back
// to the broker.conf, and refuses the rest, naming the key.
func TestBrokerConfigGetAndUpdate(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "broker.conf")
	original := "# my broker\nbrokerClusterName=DefaultCluster\nautoCreateSubscriptionGroup=true\nhaListenPort=10912\n"
	if err := os.WriteFile(conf, []byte(original), 0o600); err != nil {
		t.Fatal(err)
	}
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.BrokerConfigPath = conf }))
	ad := newAdmin(t, b)
	ctx := t.Context()

	got, err := ad.BrokerConfig(ctx, b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"brokerClusterName": b.Config().ClusterName, "brokerName": b.Config().BrokerName,
		"autoCreateSubscriptionGroup": "true", "storePathRootDir": b.Config().DataDir, "brokerConfigPath": conf,
		"flushDiskType": "ASYNC_FLUSH"}
	for k, v := range want {
		if got.Properties[k] != v {
			t.Errorf("%s = %q, want %q", k, got.Properties[k], v)
		}
	}
	var version struct{ Counter int64 }
	if err := json.Unmarshal([]byte(got.Version), &version); err != nil {
		t.Fatalf("version %q: %v", got.Version, err)
	}

	if err := ad.UpdateBrokerConfig(ctx, b.Addr(), map[string]string{"autoCreateSubscriptionGroup": "false"}); err != nil {
		t.Fatal(err)
	}
	after, err := ad.BrokerConfig(ctx, b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if after.Properties["autoCreateSubscriptionGroup"] != "false" || after.Version == got.Version {
		t.Errorf("after the update: autoCreateSubscriptionGroup=%s, version %s (was %s)",
			after.Properties["autoCreateSubscriptionGroup"], after.Version, got.Version)
	}
	file, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(original, "autoCreateSubscriptionGroup=true", "autoCreateSubscriptionGroup=false", 1); string(file) != want {
		t.Errorf("broker.conf after the update:\n%s\nwant\n%s", file, want)
	}
	// The file still starts a broker, with the change.
	cfg, _, err := broker.LoadBrokerConf(conf, broker.Config{})
	if err != nil || !cfg.DisableAutoCreateSubscriptionGroup {
		t.Errorf("reloaded broker.conf: %+v, %v", cfg.DisableAutoCreateSubscriptionGroup, err)
	}

	refused := []struct {
		props map[string]string
		code  int16
		want  string
	}{
		{map[string]string{"brokerConfigPath": "/etc/passwd"}, remoting.NoPermission, "black list"},
		{map[string]string{"flushDiskType": "SYNC_FLUSH"}, remoting.InvalidParameter, "flushDiskType takes effect only at start"},
		{map[string]string{"brokerRole": "SLAVE"}, remoting.InvalidParameter, "brokerRole takes effect only at start"},
		{map[string]string{"autoCreateSubscriptionGrup": "true"}, remoting.InvalidParameter, "did you mean autoCreateSubscriptionGroup"},
		{map[string]string{"autoCreateSubscriptionGroup": "maybe"}, remoting.InvalidParameter, `"maybe" is neither true nor false`},
		// One bad key refuses the lot.
		{map[string]string{"autoCreateSubscriptionGroup": "true", "brokerName": "x"}, remoting.InvalidParameter, "brokerName"},
	}
	for _, r := range refused {
		err := ad.UpdateBrokerConfig(ctx, b.Addr(), r.props)
		if !errors.Is(err, &remoting.Error{Code: r.code}) || !strings.Contains(err.Error(), r.want) {
			t.Errorf("update %v: %v, want %s containing %q", r.props, err, remoting.ResponseName(r.code), r.want)
		}
	}
	last, err := ad.BrokerConfig(ctx, b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if last.Properties["autoCreateSubscriptionGroup"] != "false" || last.Version != after.Version {
		t.Errorf("a refused update changed the config: %s, version %s", last.Properties["autoCreateSubscriptionGroup"], last.Version)
	}
}

// Subscription groups are created, listed, kept across a restart and
// deleted; a group with consumeEnable=false gets nothing until it is
// enabled again, without its consumer restarting.
func TestSubscriptionGroups(t *testing.T) {
	dir := t.TempDir()
	b := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.DataDir = dir }))
	ad := newAdmin(t, b)
	ctx := t.Context()

	sg := admin.NewSubscriptionGroup("sg-paused")
	sg.ConsumeEnable, sg.RetryMaxTimes = false, 3
	if err := ad.UpdateSubscriptionGroup(ctx, b.Addr(), sg); err != nil {
		t.Fatal(err)
	}
	groups, err := ad.SubscriptionGroups(ctx, b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(groups["sg-paused"], sg) {
		t.Errorf("listed %+v, want %+v", groups["sg-paused"], sg)
	}
	if _, ok := groups["TOOLS_CONSUMER"]; !ok {
		t.Errorf("Java's system groups are missing: %v", groups)
	}
	bad := admin.NewSubscriptionGroup("no spaces allowed")
	if err := ad.UpdateSubscriptionGroup(ctx, b.Addr(), bad); !errors.Is(err, &remoting.Error{Code: remoting.InvalidParameter}) {
		t.Errorf("invalid group name: %v, want INVALID_PARAMETER", err)
	}

	kc := kitClient(t, b)
	sendKit(t, kc, "sg-topic", "one", "two")
	in := &inbox{}
	startKitConsumer(t, kc, "sg-paused", "sg-topic", in)
	// Every queue is pulled (and refused) a few times: nothing arrives.
	pulls := func() int64 { return b.Stats().Requests["PULL_MESSAGE"] }
	from := pulls()
	waitFor(t, "the paused group's pulls", func() bool { return pulls() >= from+12 })
	if got := in.snapshot(); len(got) != 0 {
		t.Fatalf("a group with consumeEnable=false received %v", got)
	}
	sg.ConsumeEnable = true
	if err := ad.UpdateSubscriptionGroup(ctx, b.Addr(), sg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the resumed group's messages", func() bool { return len(in.snapshot()) == 2 })

	// Kept across a restart, in Java's subscriptionGroup.json layout.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "config", "subscriptionGroup.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Table map[string]admin.SubscriptionGroup `json:"subscriptionGroupTable"`
	}
	if err := json.Unmarshal(raw, &file); err != nil || !reflect.DeepEqual(file.Table["sg-paused"], sg) {
		t.Fatalf("subscriptionGroup.json has %+v (%v), want %+v", file.Table["sg-paused"], err, sg)
	}
	b2 := brokertest.Start(t, brokertest.WithConfig(func(c *broker.Config) { c.DataDir = dir }))
	ad2 := newAdmin(t, b2)
	groups, err = ad2.SubscriptionGroups(ctx, b2.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(groups["sg-paused"], sg) {
		t.Errorf("after a restart: %+v, want %+v", groups["sg-paused"], sg)
	}

	created := admin.NewSubscriptionGroup("sg-doomed")
	created.RetryMaxTimes = 5
	if err := ad2.UpdateSubscriptionGroup(ctx, b2.Addr(), created); err != nil {
		t.Fatal(err)
	}
	if err := ad2.DeleteSubscriptionGroup(ctx, b2.Addr(), "sg-doomed", true); err != nil {
		t.Fatal(err)
	}
	groups, err = ad2.SubscriptionGroups(ctx, b2.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := groups["sg-doomed"]; ok {
		t.Errorf("deleted group still listed: %+v", g)
	}
}

// mustMembers waits until group has n live members and returns them.
func mustMembers(t *testing.T, ad *admin.Client, group string, n int) []admin.Member {
	t.Helper()
	var members []admin.Member
	waitFor(t, fmt.Sprintf("%d members of %s", n, group), func() bool {
		var err error
		members, err = ad.GroupMembers(t.Context(), group)
		return err == nil && len(members) == n
	})
	return members
}

// GET_CONSUMER_RUNNING_INFO sent to the broker reaches the consumer and
// brings back its own account: RocketKit's client and the official one.
func TestConsumerRunningInfo(t *testing.T) {
	b := brokertest.Start(t)
	ad := newAdmin(t, b)
	kc := kitClient(t, b)
	sendKit(t, kc, "ri-topic", "x")
	in := &inbox{}
	kitCon := startKitConsumer(t, kc, "ri-kit", "ri-topic", in)
	waitFor(t, "the kit consumer's message", func() bool { return len(in.snapshot()) == 1 })

	got := &received{}
	official := clienttest.NewConsumer(t, b, consumer.WithNameServer(primitive.NamesrvAddr{b.Addr()}),
		consumer.WithGroupName("ri-official"), consumer.WithInstance(clienttest.UniqueName("ri-official")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err := official.Subscribe("ri-topic", consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			got.add(msgs...)
			return consumer.ConsumeSuccess, nil
		}); err != nil {
		t.Fatal(err)
	}
	if err := official.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the official consumer's message", func() bool { return len(got.snapshot()) == 1 })

	for _, tc := range []struct{ group, clientID string }{
		{"ri-kit", kitCon.MemberID()},
		{"ri-official", mustMembers(t, ad, "ri-official", 1)[0].ClientID},
	} {
		var info admin.RunningInfo
		// The consumer reports a queue once it holds it; wait for all four.
		waitFor(t, tc.group+"'s four queues", func() bool {
			var err error
			info, err = ad.ConsumerRunningInfo(t.Context(), tc.group, tc.clientID)
			if err != nil {
				t.Fatalf("%s: %v", tc.group, err)
			}
			n := 0
			for _, q := range info.Queues {
				if q.Topic == "ri-topic" {
					n++
				}
			}
			return n == 4
		})
		if info.Properties["PROP_CONSUME_TYPE"] != "CONSUME_PASSIVELY" || info.Properties["PROP_CLIENT_VERSION"] == "" {
			t.Errorf("%s: properties %v", tc.group, info.Properties)
		}
		var subscribed bool
		for _, s := range info.Subscriptions {
			subscribed = subscribed || s.Topic == "ri-topic"
		}
		if !subscribed {
			t.Errorf("%s: subscriptions %+v lack ri-topic", tc.group, info.Subscriptions)
		}
		info.Queues = slices.DeleteFunc(info.Queues, func(q admin.RunningQueue) bool { return q.Topic != "ri-topic" })
		for i, q := range info.Queues {
			if q.Topic != "ri-topic" || q.QueueID != i || q.BrokerName != b.Config().BrokerName || q.Dropped {
				t.Errorf("%s: queue %d is %+v", tc.group, i, q)
			}
		}
	}

	_, err := ad.ConsumerRunningInfo(t.Context(), "ri-kit", "nobody@nowhere")
	if !errors.Is(err, &remoting.Error{Code: remoting.SystemError}) || !strings.Contains(err.Error(), "not online") {
		t.Errorf("running info of an unknown client: %v, want SYSTEM_ERROR ... not online", err)
	}
}

// A live group consuming with RocketKit's client is moved back to a moment
// and receives again exactly the messages stored after it, without being
// restarted.
func TestResetOffsetOfLiveGroup(t *testing.T) {
	b := brokertest.Start(t)
	ad := newAdmin(t, b)
	const topic, group = "live-reset", "live-reset-kit"
	resetTo := sendEarlyAndLate(t, b, topic)
	kc := kitClient(t, b)
	in := &inbox{}
	startKitConsumer(t, kc, group, topic, in)
	waitFor(t, "the first 10 messages, committed", func() bool {
		stats, err := ad.ConsumeStats(t.Context(), group, topic)
		var committed int64
		for _, q := range stats {
			committed += q.ConsumerOffset
		}
		return err == nil && committed == 10 && len(in.snapshot()) == 10
	})
	members := mustMembers(t, ad, group, 1)

	resets, err := ad.ResetOffset(t.Context(), group, topic, resetTo)
	if err != nil {
		t.Fatal(err)
	}
	var moved int64
	for _, r := range resets {
		moved += r.OldOffset - r.NewOffset
	}
	if len(resets) != 4 || moved != 4 {
		t.Fatalf("resets %+v move %d messages back, want 4 queues and 4 messages", resets, moved)
	}
	waitFor(t, "the 4 late messages again", func() bool { return len(in.snapshot()) >= 14 })
	again := in.snapshot()[10:]
	for _, body := range again {
		if !strings.HasPrefix(body, "late-") {
			t.Errorf("after the reset the group received %q, stored before the reset time", body)
		}
	}
	if len(again) != 4 {
		t.Errorf("after the reset the group received %v, want the 4 late messages once", again)
	}
	if now := mustMembers(t, ad, group, 1); now[0].ClientID != members[0].ClientID {
		t.Errorf("member %s replaced by %s: the consumer was restarted", members[0].ClientID, now[0].ClientID)
	}
}

// The keys UPDATE_BROKER_CONFIG changes at runtime take effect at once:
// with autoCreateTopicEnable=false a new topic is refused, with
// defaultTopicQueueNums=2 a new topic gets two queues.
func TestBrokerConfigRuntimeKeysTakeEffect(t *testing.T) {
	b := brokertest.Start(t)
	ad := newAdmin(t, b)
	kc := kitClient(t, b)
	ctx := t.Context()
	if err := ad.UpdateBrokerConfig(ctx, b.Addr(), map[string]string{"defaultTopicQueueNums": "2"}); err != nil {
		t.Fatal(err)
	}
	sendKit(t, kc, "rk-two-queues", "x")
	route, err := ad.Route(ctx, "rk-two-queues")
	if err != nil {
		t.Fatal(err)
	}
	if len(route.Queues) != 1 || route.Queues[0].WriteQueues != 2 {
		t.Errorf("a topic auto-created after defaultTopicQueueNums=2 has %+v", route.Queues)
	}

	if err := ad.UpdateBrokerConfig(ctx, b.Addr(), map[string]string{"autoCreateTopicEnable": "false"}); err != nil {
		t.Fatal(err)
	}
	p, err := kc.NewProducer(client.ProducerConfig{Group: "rk-refused"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Send(ctx, &client.Message{Topic: "rk-not-created", Body: []byte("x")}); err == nil {
		t.Error("a send to a new topic succeeded with autoCreateTopicEnable=false")
	}
	if topics, err := ad.Topics(ctx); err != nil || slices.Contains(topics, "rk-not-created") {
		t.Errorf("topics %v (%v): rk-not-created was created", topics, err)
	}
	if err := ad.UpdateBrokerConfig(ctx, b.Addr(), map[string]string{"defaultTopicQueueNums": "0"}); !errors.Is(err, &remoting.Error{Code: remoting.InvalidParameter}) {
		t.Errorf("defaultTopicQueueNums=0: %v, want INVALID_PARAMETER", err)
	}
}
