package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/internal/clienttest"
)

// runCLI runs `rocketkit args...` in-process and returns its exit code,
// stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// mustRun runs the command, fails the test unless it exits 0, and returns
// its stdout.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("rocketkit %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func wantContains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// Every admin command against the embedded broker, after producing and
// consuming through the official client.
func TestAdminCommands(t *testing.T) {
	b := brokertest.Start(t)
	ns := b.Addr()
	ctx := t.Context()
	const topic, group = "cli-orders", "cli-billing"

	out := mustRun(t, "admin", "updateTopic", "-n", ns, "-t", topic, "-r", "2", "-w", "2")
	wantContains(t, "updateTopic", out, "create topic cli-orders on "+ns+" success: 2 read and 2 write queues, perm RW-")

	p, err := producer.NewDefaultProducer(producer.WithNameServer(primitive.NamesrvAddr{ns}),
		producer.WithGroupName("cli-admin-test"), producer.WithInstanceName("cli-admin-producer"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	const n = 10
	var third *primitive.SendResult
	for i := range n {
		msg := primitive.NewMessage(topic, fmt.Appendf(nil, "order %d body", i)).
			WithKeys([]string{fmt.Sprintf("order-%d", i)}).WithTag("created")
		res, err := p.SendSync(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			third = res
		}
	}

	cons := clienttest.NewConsumer(t, b, consumer.WithNameServer(primitive.NamesrvAddr{ns}),
		consumer.WithGroupName(group), consumer.WithInstance("cli-admin-consumer"),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	got := make(chan struct{}, n)
	err = cons.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "created"},
		func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			got <- struct{}{}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := cons.Start(); err != nil {
		t.Fatal(err)
	}
	for range n {
		select {
		case <-got:
		case <-time.After(60 * time.Second):
			t.Fatal("messages not consumed within 60s")
		}
	}

	t.Run("clusterList", func(t *testing.T) {
		out := mustRun(t, "admin", "clusterList", "-n", ns)
		wantContains(t, "clusterList", out, "#Cluster Name", "#BID", "DefaultCluster", "broker-a", ns)
		wantContains(t, "clusterList", out, "#Role", "ASYNC_MASTER", "no slave")
		var rows []map[string]any
		if err := json.Unmarshal([]byte(mustRun(t, "admin", "-n", ns, "-o", "json", "clusterList")), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0]["addr"] != ns || rows[0]["brokerId"] != "0" || rows[0]["role"] != "ASYNC_MASTER" ||
			rows[0]["maxOffset"].(float64) <= 0 {
			t.Errorf("clusterList -o json: %v", rows)
		}
	})
	t.Run("topicList", func(t *testing.T) {
		out := mustRun(t, "admin", "topicList", "--namesrv", ns)
		if !strings.Contains("\n"+out, "\n"+topic+"\n") {
			t.Errorf("topicList lacks %s:\n%s", topic, out)
		}
	})
	t.Run("topicRoute", func(t *testing.T) {
		out := mustRun(t, "admin", "topicRoute", "-n", ns, "-t", topic)
		wantContains(t, "topicRoute", out, "#Read Queues", "#Write Queues", ns, "RW-")
		var route struct {
			Queues []struct {
				Read  int `json:"readQueueNums"`
				Write int `json:"writeQueueNums"`
			} `json:"queueDatas"`
		}
		if err := json.Unmarshal([]byte(mustRun(t, "admin", "topicRoute", "-n", ns, "-t", topic, "-o", "json")), &route); err != nil {
			t.Fatal(err)
		}
		if len(route.Queues) != 1 || route.Queues[0].Read != 2 || route.Queues[0].Write != 2 {
			t.Errorf("route %+v, want 2 read and 2 write queues", route)
		}
	})
	t.Run("topicStatus", func(t *testing.T) {
		out := mustRun(t, "admin", "topicStatus", "-n", ns, "-t", topic)
		wantContains(t, "topicStatus", out, "#Min Offset", "#Max Offset", "Messages stored: 10 in 2 queues",
			"Transactional messages of cli-orders awaiting commit or rollback: 0")
	})
	t.Run("consumerProgress", func(t *testing.T) {
		// The client commits offsets every few seconds.
		deadline := time.Now().Add(30 * time.Second)
		for {
			var rep progressReport
			out := mustRun(t, "admin", "consumerProgress", "-n", ns, "-g", group, "-t", topic, "-o", "json")
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.TotalBrokerOffset == n && rep.TotalLag == 0 && len(rep.Queues) == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("consumerProgress after consuming everything:\n%s", out)
			}
			time.Sleep(200 * time.Millisecond)
		}
		out := mustRun(t, "admin", "consumerProgress", "-n", ns, "-g", group, "-t", topic)
		wantContains(t, "consumerProgress", out, "#Broker Offset", "#Consumer Offset", "#Lag")
		var total []string
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "Total") {
				total = strings.Fields(line)
			}
		}
		if len(total) != 4 || total[1] != "10" || total[2] != "10" || total[3] != "0" {
			t.Errorf("consumerProgress total line %q, want Total 10 10 0:\n%s", total, out)
		}
		wantContains(t, "consumerProgress", out, "Transactional messages of cli-orders awaiting commit or rollback: 0 (not visible yet, so not lag)")
		all := mustRun(t, "admin", "consumerProgress", "-n", ns, "-g", group) // every topic of the group
		wantContains(t, "consumerProgress without -t", all, topic)
	})
	t.Run("consumerConnection", func(t *testing.T) {
		out := mustRun(t, "admin", "consumerConnection", "-n", ns, "-g", group)
		wantContains(t, "consumerConnection", out, "#ClientId", "#SubExpression", "cli-admin-consumer", topic, "created")
	})
	t.Run("queryMsgByKey", func(t *testing.T) {
		out := mustRun(t, "admin", "queryMsgByKey", "-n", ns, "-t", topic, "-k", "order-3")
		wantContains(t, "queryMsgByKey", out, "#Message ID", third.MsgID, third.OffsetMsgID, "order 3 body")
		var msgs []map[string]any
		if err := json.Unmarshal([]byte(mustRun(t, "admin", "queryMsgByKey", "-n", ns, "-t", topic, "-k", "order-3", "-o", "json")), &msgs); err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || msgs[0]["body"] != "order 3 body" || msgs[0]["keys"] != "order-3" {
			t.Errorf("queryMsgByKey -o json: %v", msgs)
		}
		code, _, errOut := runCLI(t, "admin", "queryMsgByKey", "-n", ns, "-t", topic, "-k", "order-99")
		if code != exitFailure || !strings.Contains(errOut, "no message of topic cli-orders has key order-99") {
			t.Errorf("missing key: exit %d, stderr %s", code, errOut)
		}
	})
	t.Run("queryMsgById", func(t *testing.T) {
		out := mustRun(t, "admin", "queryMsgById", "-n", ns, "-i", third.OffsetMsgID)
		wantContains(t, "queryMsgById", out, "Topic:", topic, "Keys:", "[order-3]", "Tags:", "[created]",
			"Properties:", "UNIQ_KEY="+third.MsgID, "Body:", "order 3 body", "Store Host:")
		// A client message id needs the topic.
		out = mustRun(t, "admin", "queryMsgById", "-n", ns, "-i", third.MsgID, "-t", topic)
		wantContains(t, "queryMsgById by client id", out, third.OffsetMsgID, "order 3 body")
	})
	t.Run("deleteTopic", func(t *testing.T) {
		mustRun(t, "admin", "updateTopic", "-n", ns, "-t", "cli-doomed")
		wantContains(t, "topicList", mustRun(t, "admin", "topicList", "-n", ns), "cli-doomed")
		out := mustRun(t, "admin", "deleteTopic", "-n", ns, "-t", "cli-doomed")
		wantContains(t, "deleteTopic", out, "delete topic cli-doomed")
		if list := mustRun(t, "admin", "topicList", "-n", ns); strings.Contains(list, "cli-doomed") {
			t.Errorf("topicList after deleteTopic:\n%s", list)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			args   []string
			code   int
			stderr []string
		}{
			{"no command", []string{"admin"}, exitUsage, []string{"no command given", "clusterList", "consumerProgress"}},
			{"unknown command", []string{"admin", "topicStats"}, exitUsage,
				[]string{`unknown command "topicStats" (did you mean topicStatus?)`, "clusterList", "queryMsgByKey", "deleteTopic"}},
			{"missing flag", []string{"admin", "topicRoute", "-n", ns}, exitUsage, []string{"topicRoute: missing required flag -t/--topic"}},
			{"missing flags", []string{"admin", "queryMsgByKey", "-n", ns}, exitUsage,
				[]string{"missing required flag -t/--topic and -k/--key"}},
			{"bad flag", []string{"admin", "topicList", "--bogus"}, exitUsage, []string{"flag provided but not defined: -bogus"}},
			{"bad output", []string{"admin", "topicList", "-o", "yaml"}, exitUsage, []string{`-o "yaml": want text or json`}},
			{"bad name server", []string{"admin", "topicList", "-n", "nonsense"}, exitUsage, []string{`-n "nonsense"`}},
			{"unreachable name server", []string{"admin", "clusterList", "-n", "127.0.0.1:1"}, exitFailure,
				[]string{"cannot reach name server 127.0.0.1:1", "connection refused", "-n host:port"}},
			{"unknown topic", []string{"admin", "topicStatus", "-n", ns, "-t", "cli-nope"}, exitFailure,
				[]string{"topic cli-nope not found"}},
			{"offline group", []string{"admin", "consumerConnection", "-n", ns, "-g", "cli-nobody"}, exitFailure,
				[]string{"consumer group cli-nobody is not online"}},
			{"malformed id", []string{"admin", "queryMsgById", "-n", ns, "-i", "xyz"}, exitFailure,
				[]string{"-i ID -t TOPIC"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				code, out, errOut := runCLI(t, tt.args...)
				if code != tt.code {
					t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
				}
				wantContains(t, "stderr", errOut, tt.stderr...)
			})
		}
		if list := mustRun(t, "admin", "topicList", "-n", ns); strings.Contains(list, "cli-nope") {
			t.Errorf("a read-only command created the topic it looked for:\n%s", list)
		}
	})
	t.Run("printMsg", func(t *testing.T) {
		out := mustRun(t, "admin", "printMsg", "-n", ns, "-t", topic)
		wantContains(t, "printMsg", out, "#QID", "#Offset", "#Store Time", "#Body", "order 3 body", "created", "order-3", "10 messages")
		var msgs []map[string]any
		if err := json.Unmarshal([]byte(mustRun(t, "admin", "printMsg", "-n", ns, "-t", topic, "-o", "json", "--max", "4")), &msgs); err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 4 || msgs[0]["topic"] != topic {
			t.Errorf("printMsg --max 4 -o json: %v", msgs)
		}
		later := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
		wantContains(t, "printMsg -b <in an hour>", mustRun(t, "admin", "printMsg", "-n", ns, "-t", topic, "-b", later), "0 messages")
		wantContains(t, "printMsg -e <in an hour>", mustRun(t, "admin", "printMsg", "-n", ns, "-t", topic, "-e", later), "10 messages")
		code, _, errOut := runCLI(t, "admin", "printMsg", "-n", ns, "-t", topic, "-b", "soon")
		if code == exitOK || !strings.Contains(errOut, `-b "soon"`) {
			t.Errorf("printMsg -b soon: exit %d, stderr %s", code, errOut)
		}
		code, _, errOut = runCLI(t, "admin", "printMsg", "-n", ns, "-t", "cli-nope")
		if code != exitFailure || !strings.Contains(errOut, "topic cli-nope not found") {
			t.Errorf("printMsg of a missing topic: exit %d, stderr %s", code, errOut)
		}
	})
	t.Run("resetOffsetByTime", func(t *testing.T) {
		// A stopped group (live ones: admin's TestResetOffsetOfLiveGroup;
		// the official client's own reset handler races with its pulls).
		reset := []string{"admin", "resetOffsetByTime", "-n", ns, "-g", group, "-t", topic, "-s", "0"}
		if err := cons.Shutdown(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if code, _, _ := runCLI(t, "admin", "consumerConnection", "-n", ns, "-g", group); code == exitFailure {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the group is still online 30s after its consumer shut down")
			}
		}
		out := mustRun(t, reset...)
		wantContains(t, "resetOffsetByTime", out, "reset cli-billing on cli-orders to ", "#Old Offset", "#New Offset")
		var rep progressReport
		if err := json.Unmarshal([]byte(mustRun(t, "admin", "consumerProgress", "-n", ns, "-g", group, "-t", topic, "-o", "json")), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.TotalConsumerOffset != 0 || rep.TotalLag != n {
			t.Errorf("after a reset to 1970: consumer offset %d and lag %d, want 0 and %d", rep.TotalConsumerOffset, rep.TotalLag, n)
		}
		code, _, errOut := runCLI(t, "admin", "resetOffsetByTime", "-n", ns, "-g", group, "-t", topic, "-s", "yesterday")
		if code == exitOK || !strings.Contains(errOut, `-s "yesterday"`) {
			t.Errorf("a bad time: exit %d, stderr %s", code, errOut)
		}
	})
	t.Run("help", func(t *testing.T) {
		out := mustRun(t, "admin", "-h")
		wantContains(t, "admin -h", out, "Usage: rocketkit admin <command>", "consumerProgress -g group [-t topic]", "--namesrv")
		out = mustRun(t, "help", "admin")
		wantContains(t, "help admin", out, "Usage: rocketkit admin <command>")
		out = mustRun(t, "admin", "help", "updateTopic")
		wantContains(t, "admin help updateTopic", out, "Usage: rocketkit admin updateTopic", "-readQueueNums", "-clusterName")
	})
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 12, 4, 18, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{"now", now},
		{"0", time.UnixMilli(0)},
		{"1796409000123", time.UnixMilli(1796409000123)},
		{"2026-12-04T18:00:00Z", time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)},
		{"2026-12-04T19:00:00.5+01:00", time.Date(2026, 12, 4, 18, 0, 0, 500e6, time.UTC)},
		{"2026-12-04#18:00:00:123", time.Date(2026, 12, 4, 18, 0, 0, 123e6, time.Local)},
	} {
		got, err := parseTime("s", tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-5", "2026-12-04", "2026-12-04#18:00:00", "2026-12-04#25:00:00:000"} {
		if _, err := parseTime("s", bad, now); err == nil || !strings.Contains(err.Error(), "-s ") {
			t.Errorf("parseTime(%q): %v, want an error naming -s", bad, err)
		}
	}
}
