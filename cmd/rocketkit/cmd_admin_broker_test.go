package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client"
)

// The broker-level commands against the embedded broker: runtime info and
// configuration, subscription groups, and a live consumer's status.
func TestAdminBrokerCommands(t *testing.T) {
	b := brokertest.Start(t)
	ns := b.Addr()
	ctx := t.Context()

	kc, err := client.New(client.Config{NameServers: []string{ns}})
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	p, err := kc.NewProducer(client.ProducerConfig{Group: "cli-broker-p"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 3 {
		if _, err := p.Send(ctx, &client.Message{Topic: "cli-broker", Body: []byte("m")}); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan struct{}, 3)
	con, err := kc.NewConsumer(client.ConsumerConfig{Group: "cli-broker-g", ConsumeFrom: client.ConsumeFromFirstOffset,
		Subscriptions: []client.Subscription{{Topic: "cli-broker"}}},
		func(context.Context, []*client.MessageExt) client.ConsumeResult {
			got <- struct{}{}
			return client.ConsumeSuccess
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := con.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer con.Close(context.Background())
	for range 3 {
		select {
		case <-got:
		case <-time.After(30 * time.Second):
			t.Fatal("the consumer got no message in 30s")
		}
	}

	var status []brokerTable
	if err := json.Unmarshal([]byte(mustRun(t, "admin", "brokerStatus", "-n", ns, "-o", "json")), &status); err != nil {
		t.Fatal(err)
	}
	if len(status) != 1 || status[0].Broker != ns || status[0].Table["msgPutTotalTodayNow"] != "3" {
		t.Errorf("brokerStatus -o json: %+v", status)
	}
	wantContains(t, "brokerStatus", mustRun(t, "admin", "brokerStatus", "-n", ns, "-b", ns), "putTps", "commitLogMaxOffset", "runtime")

	wantSqueezed(t, "getBrokerConfig", mustRun(t, "admin", "getBrokerConfig", "-n", ns),
		"brokerName", "= "+b.Config().BrokerName, "autoCreateSubscriptionGroup = true")
	wantContains(t, "updateBrokerConfig", mustRun(t, "admin", "updateBrokerConfig", "-n", ns, "-k", "autoCreateSubscriptionGroup", "-v", "false"),
		"update broker config success")
	wantSqueezed(t, "getBrokerConfig after", mustRun(t, "admin", "getBrokerConfig", "-n", ns), "autoCreateSubscriptionGroup = false")
	code, _, errOut := runCLI(t, "admin", "updateBrokerConfig", "-n", ns, "-k", "listenPort", "-v", "1")
	if code != exitFailure || !strings.Contains(errOut, "listenPort takes effect only at start") {
		t.Errorf("updateBrokerConfig of a start-only key: exit %d, stderr %s", code, errOut)
	}

	out := mustRun(t, "admin", "updateSubGroup", "-n", ns, "-g", "cli-paused", "-s", "false", "-r", "3")
	wantSqueezed(t, "updateSubGroup", out, "create subscription group to "+ns+" success", "consumeEnable false", "retryMaxTimes 3")
	out = mustRun(t, "admin", "updateSubGroup", "-n", ns, "-g", "cli-paused", "-q", "2", "-o", "json")
	var groups []struct {
		ConsumeEnable  bool `json:"consumeEnable"`
		RetryMaxTimes  int  `json:"retryMaxTimes"`
		RetryQueueNums int  `json:"retryQueueNums"`
	}
	if err := json.Unmarshal([]byte(out), &groups); err != nil || len(groups) != 1 ||
		groups[0].ConsumeEnable || groups[0].RetryMaxTimes != 3 || groups[0].RetryQueueNums != 2 {
		t.Errorf("a second updateSubGroup must keep what it does not set: %+v (%v)\n%s", groups, err, out)
	}
	code, _, errOut = runCLI(t, "admin", "updateSubGroup", "-n", ns, "-g", "cli-paused", "-s", "perhaps")
	if code != exitFailure || !strings.Contains(errOut, `-s "perhaps": want true or false`) {
		t.Errorf("updateSubGroup -s perhaps: exit %d, stderr %s", code, errOut)
	}
	wantContains(t, "deleteSubGroup", mustRun(t, "admin", "deleteSubGroup", "-n", ns, "-g", "cli-paused", "-r"),
		"delete subscription group [cli-paused] from broker ["+ns+"] success.")

	out = mustRun(t, "admin", "consumerStatus", "-n", ns, "-g", "cli-broker-g")
	wantSqueezed(t, "consumerStatus", out, "#ClientId "+con.MemberID(), "PROP_CONSUME_TYPE CONSUME_PASSIVELY", "#Subscription cli-broker *",
		"\ncli-broker "+b.Config().BrokerName+" 3 ")
	code, _, errOut = runCLI(t, "admin", "consumerStatus", "-n", ns, "-g", "cli-nobody")
	if code != exitFailure || !strings.Contains(errOut, "not online") {
		t.Errorf("consumerStatus of an offline group: exit %d, stderr %s", code, errOut)
	}
}

// wantSqueezed is wantContains on text whose runs of blanks (a table's
// alignment) are one space.
func wantSqueezed(t *testing.T, what, got string, want ...string) {
	t.Helper()
	wantContains(t, what, regexp.MustCompile(` +`).ReplaceAllString(got, " "), want...)
}
