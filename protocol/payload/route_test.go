package payload_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/protocol/payload"
)

func TestParseTopicRoute(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    payload.TopicRoute
		wantErr string
	}{
		{
			name: "rocketkit broker",
			body: `{"orderTopicConf":"","queueDatas":[{"brokerName":"broker-a","readQueueNums":4,"writeQueueNums":4,"perm":6,"topicSysFlag":0,"topicSynFlag":0}],"brokerDatas":[{"cluster":"DefaultCluster","brokerName":"broker-a","brokerAddrs":{"0":"127.0.0.1:9876"}}],"filterServerTable":{}}`,
			want: payload.TopicRoute{
				Queues:  []payload.QueueData{{BrokerName: "broker-a", ReadQueues: 4, WriteQueues: 4, Perm: 6}},
				Brokers: []payload.BrokerData{{Cluster: "DefaultCluster", BrokerName: "broker-a", Addrs: map[int64]string{0: "127.0.0.1:9876"}}},
			},
		},
		{
			name: "Java name server, fastjson keys, a slave",
			body: `{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"c","enableActingMaster":false}],"queueDatas":[{"brokerName":"broker-a","perm":7,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}]}`,
			want: payload.TopicRoute{
				Queues:  []payload.QueueData{{BrokerName: "broker-a", ReadQueues: 8, WriteQueues: 8, Perm: 7}},
				Brokers: []payload.BrokerData{{Cluster: "c", BrokerName: "broker-a", Addrs: map[int64]string{0: "10.0.0.1:10911", 1: "10.0.0.2:10911"}}},
			},
		},
		{name: "empty", body: ``, wantErr: "empty route body"},
		{name: "not JSON", body: `No topic route info`, wantErr: "route:"},
		{name: "no queueDatas", body: `{"brokerDatas":[]}`, wantErr: "without queueDatas"},
		{name: "address with a blank", body: `{"queueDatas":[],"brokerDatas":[{"brokerName":"b","brokerAddrs":{"0":" 1.2.3.4:1"}}]}`, wantErr: "has address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := payload.ParseTopicRoute([]byte(tt.body))
			if tt.wantErr != "" {
				if !errors.Is(err, payload.ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrMalformed saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
			if b, _ := got.Broker("broker-a"); b.Master() != tt.want.Brokers[0].Addrs[0] {
				t.Fatalf("master = %q", b.Master())
			}
		})
	}
}

func TestTopicRouteEqualIgnoresOrder(t *testing.T) {
	a := payload.TopicRoute{
		Queues: []payload.QueueData{{BrokerName: "a", ReadQueues: 1}, {BrokerName: "b", ReadQueues: 2}},
		Brokers: []payload.BrokerData{{BrokerName: "a", Addrs: map[int64]string{0: "x:1"}},
			{BrokerName: "b", Addrs: map[int64]string{0: "y:1"}}},
	}
	b := payload.TopicRoute{
		Queues:  []payload.QueueData{a.Queues[1], a.Queues[0]},
		Brokers: []payload.BrokerData{a.Brokers[1], a.Brokers[0]},
	}
	if !a.Equal(b) {
		t.Fatal("reordered route is not Equal")
	}
	b.Brokers[0] = payload.BrokerData{BrokerName: "b", Addrs: map[int64]string{0: "y:2"}}
	if a.Equal(b) {
		t.Fatal("a moved master is Equal")
	}
}

// FuzzParseTopicRoute: never panics; an answer is either ErrMalformed or a
// route every broker address of which is non-empty and unpadded, and
// parsing is deterministic.
func FuzzParseTopicRoute(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"queueDatas":[]}`, `{"queueDatas":null}`,
		`{"queueDatas":[{"perm":6}],"brokerDatas":[{"brokerAddrs":{0:"a:1"}}]}`,
		`{"queueDatas":[],"brokerDatas":[{"brokerAddrs":{"x":"a:1"}}]}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := payload.ParseTopicRoute(body)
		if err != nil {
			if !errors.Is(err, payload.ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		for _, b := range r.Brokers {
			for _, addr := range b.Addrs {
				if addr == "" || strings.TrimSpace(addr) != addr {
					t.Fatalf("address %q accepted", addr)
				}
			}
		}
		again, err := payload.ParseTopicRoute(body)
		if err != nil || !again.Equal(r) {
			t.Fatalf("second parse differs: %v", err)
		}
	})
}
