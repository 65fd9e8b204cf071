package broker_test

import (
	"testing"

	"github.com/rocketkit/rocketkit/broker/brokertest"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// PULL_MESSAGE bounds queueId by the topic's readQueueNums, as Java does:
// on a topic with 4 write queues and 2 read queues, queue 3 is
// INVALID_PARAMETER while queue 1 is served.
func TestPullQueueIDBoundedByReadQueues(t *testing.T) {
	b := brokertest.Start(t)
	rc := dialRaw(t, b.Addr())
	topic := uniqueName("t_readq")
	resp := rc.mustCall(t, remoting.UpdateAndCreateTopic, remoting.Fields{
		{Key: "topic", Value: topic}, {Key: "defaultTopic", Value: "TBW102"}, {Key: "readQueueNums", Value: "2"},
		{Key: "writeQueueNums", Value: "4"}, {Key: "perm", Value: "6"}, {Key: "topicFilterType", Value: "SINGLE_TAG"}}, nil)
	if resp.Code != remoting.Success {
		t.Fatalf("create topic: code %d (%s)", resp.Code, resp.Remark)
	}
	for _, tt := range []struct {
		queue int32
		want  int16
	}{{1, remoting.PullNotFound}, {2, remoting.InvalidParameter}, {3, remoting.InvalidParameter}, {-1, remoting.InvalidParameter}} {
		resp := rc.mustCall(t, remoting.PullMessage, pullFields("g_readq", topic, tt.queue, 0, 32, 0), nil)
		if resp.Code != tt.want {
			t.Errorf("pull queue %d of 2 read queues: code %d (%s), want %d", tt.queue, resp.Code, resp.Remark, tt.want)
		}
	}
}
