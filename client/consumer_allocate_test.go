package client

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	official "github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

func testQueues(n int) []MessageQueue {
	out := make([]MessageQueue, n)
	for i := range out {
		out[i] = MessageQueue{Topic: "topic", BrokerName: "brokerName", QueueID: i}
	}
	return out
}

func ids(qs []MessageQueue) []int {
	out := make([]int, len(qs))
	for i, q := range qs {
		out[i] = q.QueueID
	}
	return out
}

// Java's AllocateMessageQueueAveragelyTest and the official Go client's
// TestAllocateByAveragely cases.
func TestAllocateAveragely(t *testing.T) {
	cids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("192.168.24.%d@default", i+1)
		}
		return out
	}
	tests := []struct {
		name    string
		queues  int
		members []string
		me      string
		want    []int
	}{
		{"java 10 queues 4 members: #0", 10, []string{"CID_PREFIX0", "CID_PREFIX1", "CID_PREFIX2", "CID_PREFIX3"}, "CID_PREFIX0", []int{0, 1, 2}},
		{"java 10 queues 4 members: #1", 10, []string{"CID_PREFIX0", "CID_PREFIX1", "CID_PREFIX2", "CID_PREFIX3"}, "CID_PREFIX1", []int{3, 4, 5}},
		{"java 10 queues 4 members: #2", 10, []string{"CID_PREFIX0", "CID_PREFIX1", "CID_PREFIX2", "CID_PREFIX3"}, "CID_PREFIX2", []int{6, 7}},
		{"java 10 queues 4 members: #3", 10, []string{"CID_PREFIX0", "CID_PREFIX1", "CID_PREFIX2", "CID_PREFIX3"}, "CID_PREFIX3", []int{8, 9}},
		{"go 6 queues 2 members", 6, cids(2), "192.168.24.1@default", []int{0, 1, 2}},
		{"go 6 queues 3 members", 6, cids(3), "192.168.24.2@default", []int{2, 3}},
		{"go 6 queues 4 members: #1", 6, cids(4), "192.168.24.2@default", []int{2, 3}},
		{"go 6 queues 4 members: #3", 6, cids(4), "192.168.24.4@default", []int{5}},
		{"go 6 queues 7 members: #6 gets none", 6, cids(7), "192.168.24.7@default", nil},
		{"members unsorted", 4, []string{"b", "a"}, "a", []int{0, 1}},
		{"not a member", 4, []string{"a", "b"}, "c", nil},
		{"no queue", 0, []string{"a"}, "a", nil},
		{"one member", 3, []string{"a"}, "a", []int{0, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(allocateAveragely(testQueues(tt.queues), tt.members, tt.me))
			if !slices.Equal(got, tt.want) && (len(got) > 0 || len(tt.want) > 0) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// Every queue goes to exactly one member, whatever the order the lists come
// in, and each member's share is what the official client computes (so a
// group mixing both splits without overlap or gap).
func TestAllocateAveragelyPartitionsLikeOfficialClient(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		var queues []MessageQueue
		for _, broker := range []string{"broker-b", "broker-a"}[:1+r.IntN(2)] {
			for _, topic := range []string{"t2", "t1"}[:1+r.IntN(2)] {
				for id := range 1 + r.IntN(9) {
					queues = append(queues, MessageQueue{Topic: topic, BrokerName: broker, QueueID: id})
				}
			}
		}
		members := make([]string, 1+r.IntN(12))
		for i := range members {
			members[i] = fmt.Sprintf("10.0.0.%d@%d", r.IntN(256), i)
		}
		r.Shuffle(len(queues), func(i, j int) { queues[i], queues[j] = queues[j], queues[i] })

		// The official client gets the lists sorted by its rebalance code.
		sortedQueues := slices.SortedFunc(slices.Values(queues), compareQueues)
		sortedMembers := slices.Sorted(slices.Values(members))
		var theirs []*primitive.MessageQueue
		for _, q := range sortedQueues {
			theirs = append(theirs, &primitive.MessageQueue{Topic: q.Topic, BrokerName: q.BrokerName, QueueId: q.QueueID})
		}

		owner := map[MessageQueue]string{}
		for _, m := range members {
			mine := allocateAveragely(queues, members, m)
			var want []MessageQueue
			for _, q := range official.AllocateByAveragely("g", m, theirs, sortedMembers) {
				want = append(want, MessageQueue{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueId})
			}
			if !slices.Equal(mine, want) {
				t.Fatalf("member %s of %v over %v: got %v, official client %v", m, members, sortedQueues, mine, want)
			}
			for _, q := range mine {
				if o, dup := owner[q]; dup {
					t.Fatalf("%v allocated to %s and %s", q, o, m)
				}
				owner[q] = m
			}
		}
		if len(owner) != len(queues) {
			t.Fatalf("%d of %d queues allocated", len(owner), len(queues))
		}
	}
}
