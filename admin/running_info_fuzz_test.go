package admin_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/admin"
)

// FuzzParseRunningInfo: any body decodes or is refused without a panic; a
// decoded one has properties (possibly empty) and its queues sorted by
// topic, broker and id. ParseTPS never panics either.
func FuzzParseRunningInfo(f *testing.F) {
	f.Add([]byte(`{"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY"},"subscriptionSet":[{"topic":"t","subString":"*"}],` +
		`"mqTable":{{"topic":"t","brokerName":"b","queueId":1}:{"commitOffset":3,"droped":true},` +
		`{"topic":"t","brokerName":"b","queueId":0}:{"commitOffset":2}},"statusTable":{},"jstack":""}`))
	f.Add([]byte(`{"properties":{}, "mqTable":{}, "jstack":"" }`))
	f.Add([]byte(`12.5 0.0 `))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = admin.ParseTPS(string(body))
		info, err := admin.ParseRunningInfo(body)
		if err != nil {
			return
		}
		if info.Properties == nil {
			t.Fatal("nil properties")
		}
		if !slices.IsSortedFunc(info.Queues, func(a, b admin.RunningQueue) int {
			switch {
			case a.Topic != b.Topic:
				return strings.Compare(a.Topic, b.Topic)
			case a.BrokerName != b.BrokerName:
				return strings.Compare(a.BrokerName, b.BrokerName)
			}
			return a.QueueID - b.QueueID
		}) {
			t.Fatalf("queues not sorted: %+v", info.Queues)
		}
	})
}

func TestParseRunningInfoJavaForm(t *testing.T) {
	body := []byte(`{"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY"},"subscriptionSet":[{"topic":"t","subString":"*"}],` +
		`"mqTable":{{"topic":"t","brokerName":"b","queueId":1}:{"commitOffset":3,"droped":true},` +
		`{"topic":"t","brokerName":"b","queueId":0}:{"commitOffset":2}},"statusTable":{"t":{"pullTPS":1.5}},"jstack":""}`)
	info, err := admin.ParseRunningInfo(body)
	if err != nil {
		t.Fatal(err)
	}
	want := []admin.RunningQueue{{Topic: "t", BrokerName: "b", QueueID: 0, CommitOffset: 2},
		{Topic: "t", BrokerName: "b", QueueID: 1, CommitOffset: 3, Dropped: true}}
	if !slices.Equal(info.Queues, want) || info.Status["t"].PullTPS != 1.5 || info.Subscriptions[0].Expression != "*" {
		t.Errorf("parsed %+v", info)
	}
	if tps, err := admin.ParseTPS("1.5  "); err != nil || tps != [3]float64{1.5, 0, 0} {
		t.Errorf("ParseTPS of Java's young-broker form: %v, %v", tps, err)
	}
	if _, err := admin.ParseTPS("fast"); err == nil {
		t.Error("ParseTPS accepted \"fast\"")
	}
}
