package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// RunningInfo is what a live consumer reports about itself (Java's
// ConsumerRunningInfo), asked through a broker it is connected to.
type RunningInfo struct {
	// Properties are the client's own: PROP_CLIENT_VERSION,
	// PROP_CONSUME_TYPE, PROP_CONSUMEORDERLY, PROP_THREADPOOL_CORE_SIZE,
	// PROP_CONSUMER_START_TIMESTAMP, PROP_NAMESERVER_ADDR, and the
	// client's settings (messageModel, consumeFromWhere, ...).
	Properties map[string]string `json:"properties"`
	// Subscriptions are the member's topics and expressions.
	Subscriptions []RunningSubscription `json:"subscriptions"`
	// Queues are the queues the member holds now, sorted.
	Queues []RunningQueue `json:"queues"`
	// Status maps a topic to the member's consume rates, where the client
	// reports them (the official Go client does; RocketKit's does not).
	Status map[string]ConsumeStatus `json:"status,omitempty"`
}

// RunningSubscription is one topic a member subscribes.
type RunningSubscription struct {
	Topic          string `json:"topic"`
	Expression     string `json:"subString"`
	ExpressionType string `json:"expressionType"`
}

// RunningQueue is one queue a member holds.
type RunningQueue struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int    `json:"queueId"`
	// CommitOffset is the member's offset: the next message it will
	// commit as consumed.
	CommitOffset   int64 `json:"commitOffset"`
	CachedMsgCount int   `json:"cachedMsgCount"`
	Locked         bool  `json:"locked"`
	Dropped        bool  `json:"dropped"`
}

// ConsumeStatus is a member's consume rates on one topic.
type ConsumeStatus struct {
	PullRT            float64 `json:"pullRT"`
	PullTPS           float64 `json:"pullTPS"`
	ConsumeRT         float64 `json:"consumeRT"`
	ConsumeOKTPS      float64 `json:"consumeOKTPS"`
	ConsumeFailedTPS  float64 `json:"consumeFailedTPS"`
	ConsumeFailedMsgs int64   `json:"consumeFailedMsgs"`
}

// ConsumerRunningInfo asks the member clientID of group (a client id as
// GroupMembers lists it) for its running state (mqadmin
// consumerStatus / consumerRunningInfo): the broker passes the request on
// to the consumer and returns its answer. It tries each master serving
// the group's retry topic until one reaches the member. Cancelling ctx
// aborts the call; so does Config.Timeout, and a broker waits up to 10 s
// for the consumer.
func (c *Client) ConsumerRunningInfo(ctx context.Context, group, clientID string) (RunningInfo, error) {
	if group == "" || clientID == "" {
		return RunningInfo{}, errors.New("admin: consumer running info: group and client id are required")
	}
	masters, err := c.masters(ctx, message.RetryTopic(group))
	if errors.Is(err, ErrTopicNotFound) {
		return RunningInfo{}, fmt.Errorf("%w: %s", ErrGroupOffline, group)
	}
	if err != nil {
		return RunningInfo{}, err
	}
	var errs []error
	for _, addr := range masters {
		resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.GetConsumerRunningInfo, remoting.Fields{
			{Key: "consumerGroup", Value: group}, {Key: "clientId", Value: clientID},
			{Key: "jstackEnable", Value: "false"}}, nil))
		if err != nil {
			return RunningInfo{}, err
		}
		if err := check(resp); err != nil {
			errs = append(errs, fmt.Errorf("admin: running info of %s in %s via %s: %w", clientID, group, addr, err))
			continue
		}
		return ParseRunningInfo(resp.Body)
	}
	return RunningInfo{}, errors.Join(errs...)
}

// ParseRunningInfo decodes a ConsumerRunningInfo body as Java, the
// official Go client and RocketKit's client write it (mqTable keyed by
// queue objects, fastjson's way).
func ParseRunningInfo(body []byte) (RunningInfo, error) {
	var raw struct {
		Properties    map[string]string          `json:"properties"`
		Subscriptions []RunningSubscription      `json:"subscriptionSet"`
		MQTable       map[string]json.RawMessage `json:"mqTable"`
		Status        map[string]ConsumeStatus   `json:"statusTable"`
	}
	if err := json.Unmarshal(payload.NormalizeFastJSON(body), &raw); err != nil {
		return RunningInfo{}, fmt.Errorf("admin: decode running info: %w", err)
	}
	info := RunningInfo{Properties: raw.Properties, Subscriptions: raw.Subscriptions, Status: raw.Status}
	if info.Properties == nil {
		info.Properties = map[string]string{}
	}
	for key, v := range raw.MQTable {
		var mq payload.MessageQueue
		if err := json.Unmarshal([]byte(key), &mq); err != nil {
			return RunningInfo{}, fmt.Errorf("admin: decode running info: queue %q: %w", key, err)
		}
		var pq struct {
			CommitOffset   int64 `json:"commitOffset"`
			CachedMsgCount int   `json:"cachedMsgCount"`
			Locked         bool  `json:"locked"`
			Dropped        bool  `json:"dropped"`
			Droped         bool  `json:"droped"` // Java's spelling
		}
		if err := json.Unmarshal(v, &pq); err != nil {
			return RunningInfo{}, fmt.Errorf("admin: decode running info of %s: %w", key, err)
		}
		info.Queues = append(info.Queues, RunningQueue{Topic: mq.Topic, BrokerName: mq.BrokerName, QueueID: mq.QueueID,
			CommitOffset: pq.CommitOffset, CachedMsgCount: pq.CachedMsgCount, Locked: pq.Locked,
			Dropped: pq.Dropped || pq.Droped})
	}
	slices.SortFunc(info.Queues, func(a, b RunningQueue) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		if c := strings.Compare(a.BrokerName, b.BrokerName); c != 0 {
			return c
		}
		return a.QueueID - b.QueueID
	})
	return info, nil
}
