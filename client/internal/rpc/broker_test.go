package rpc_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// routeRequest is GET_ROUTEINFO_BY_TOPIC for topic.
func routeRequest(topic string) *remoting.Command {
	return remoting.NewRequest(remoting.GetRouteInfoByTopic, remoting.Fields{{Key: "topic", Value: topic}}, nil)
}

// maxOffsetRequest is GET_MAX_OFFSET for queue 0 of topic.
func maxOffsetRequest(topic string) *remoting.Command {
	return remoting.NewRequest(remoting.GetMaxOffset, remoting.Fields{
		{Key: "topic", Value: topic}, {Key: "queueId", Value: "0"},
	}, nil)
}

// sendRequest is SEND_MESSAGE of body to queue 0 of topic.
func sendRequest(topic string, body []byte) *remoting.Command {
	return remoting.NewRequest(remoting.SendMessage, remoting.Fields{
		{Key: "producerGroup", Value: "pg_rpc"},
		{Key: "topic", Value: topic},
		{Key: "queueId", Value: "0"},
		{Key: "sysFlag", Value: "0"},
		{Key: "bornTimestamp", Value: strconv.FormatInt(time.Now().UnixMilli(), 10)},
		{Key: "flag", Value: "0"},
		{Key: "properties", Value: ""},
		{Key: "reconsumeTimes", Value: "0"},
		{Key: "defaultTopic", Value: "TBW102"},
		{Key: "defaultTopicQueueNums", Value: "4"},
	}, body)
}

// TestBroker talks to the rocketkit broker over TCP through a Pool: a
// route lookup, concurrent sends on both sides of the 16 KiB copy limit
// (so both the single Write and the writev paths reach a real socket), and
// the queue's max offset afterwards.
func TestBroker(t *testing.T) {
	b := brokertest.Start(t)
	p := rpc.NewPool(rpc.Options{})
	defer p.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	const topic = "rpc_broker_test"

	resp, err := p.Call(ctx, b.Addr(), routeRequest(topic))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != remoting.Success || !strings.Contains(string(resp.Body), `"brokerAddrs":{"0":"`+b.Addr()+`"}`) {
		t.Fatalf("route: code %d remark %q body %s", resp.Code, resp.Remark, resp.Body)
	}

	sizes := []int{10, 1000, 16 << 10, 16<<10 + 1, 200 << 10, 1 << 20}
	var wg sync.WaitGroup
	for _, size := range sizes {
		wg.Go(func() {
			resp, err := p.Call(ctx, b.Addr(), sendRequest(topic, bytes.Repeat([]byte{'x'}, size)))
			if err != nil || resp.Code != remoting.Success {
				t.Errorf("send %d bytes: %v, %v", size, resp, err)
			}
		})
	}
	wg.Wait()

	resp, err = p.Call(ctx, b.Addr(), maxOffsetRequest(topic))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != remoting.Success || resp.ExtFields.Get("offset") != strconv.Itoa(len(sizes)) {
		t.Errorf("max offset: %v, want SUCCESS with offset %d", resp, len(sizes))
	}
	c, err := p.Conn(ctx, b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if c2, _ := p.Conn(ctx, b.Addr()); c2 != c {
		t.Error("the pool dialed the broker twice")
	}
}
