package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// QueueStatus is the offset range of one queue of a topic (mqadmin
// topicStatus).
type QueueStatus struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int    `json:"queueId"`
	// MinOffset is the oldest offset still stored, MaxOffset the next one
	// to be written: the queue holds MaxOffset-MinOffset messages.
	MinOffset int64 `json:"minOffset"`
	MaxOffset int64 `json:"maxOffset"`
	// LastUpdate is the store time of the newest message in Unix
	// milliseconds, when the broker reports it (0 otherwise).
	LastUpdate int64 `json:"lastUpdateTimestamp"`
}

// TopicStats is the state of a topic on its masters.
type TopicStats struct {
	// Queues are the offset ranges, sorted by broker and queue.
	Queues []QueueStatus `json:"queues"`
	// PendingTransactions is the number of the topic's half messages
	// awaiting commit or rollback: produced but not visible yet, so not
	// consumer lag (the study's S12 confusion; examples/scenarios lists the
	// study's experiments). -1 when no broker reports it (Apache RocketMQ's
	// do not; this kit's does).
	PendingTransactions int `json:"pendingTransactions"`
}

// TopicStatus returns the offset range of every queue of topic on every
// master serving it, sorted by broker and queue.
func (c *Client) TopicStatus(ctx context.Context, topic string) ([]QueueStatus, error) {
	st, err := c.TopicStats(ctx, topic)
	return st.Queues, err
}

// TopicStats returns the offset range of every queue of topic on every
// master serving it, and the half messages awaiting their transaction's
// outcome.
func (c *Client) TopicStats(ctx context.Context, topic string) (TopicStats, error) {
	masters, err := c.masters(ctx, topic)
	if err != nil {
		return TopicStats{PendingTransactions: -1}, err
	}
	return c.topicStatsOn(ctx, topic, masters)
}

// topicStatsOn is TopicStats from the given master addresses.
func (c *Client) topicStatsOn(ctx context.Context, topic string, masters []string) (TopicStats, error) {
	st := TopicStats{PendingTransactions: -1}
	for _, addr := range masters {
		resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.GetTopicStatsInfo,
			remoting.Fields{{Key: "topic", Value: topic}}, nil))
		if err != nil {
			return st, err
		}
		if resp.Code == remoting.TopicNotExist {
			continue // routed but not (yet) on this broker
		}
		if err := check(resp); err != nil {
			return st, fmt.Errorf("admin: status of %s on %s: %w", topic, addr, err)
		}
		var body struct {
			Table map[string]struct {
				Min        int64 `json:"minOffset"`
				Max        int64 `json:"maxOffset"`
				LastUpdate int64 `json:"lastUpdateTimestamp"`
			} `json:"offsetTable"`
			Pending *int `json:"pendingTransactions"` // this kit's brokers only
		}
		if err := json.Unmarshal(payload.NormalizeFastJSON(resp.Body), &body); err != nil {
			return st, fmt.Errorf("admin: decode status of %s from %s: %w", topic, addr, err)
		}
		for key, v := range body.Table {
			mq, err := decodeQueueKey(key)
			if err != nil {
				return st, err
			}
			st.Queues = append(st.Queues, QueueStatus{Topic: mq.Topic, BrokerName: mq.BrokerName, QueueID: mq.QueueID,
				MinOffset: v.Min, MaxOffset: v.Max, LastUpdate: v.LastUpdate})
		}
		if body.Pending != nil {
			st.PendingTransactions = max(st.PendingTransactions, 0) + *body.Pending
		}
	}
	slices.SortFunc(st.Queues, func(a, b QueueStatus) int {
		if a.BrokerName != b.BrokerName {
			return strings.Compare(a.BrokerName, b.BrokerName)
		}
		return a.QueueID - b.QueueID
	})
	return st, nil
}

type queueKey struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int    `json:"queueId"`
}

// decodeQueueKey decodes a MessageQueue map key (normalised by
// payload.NormalizeFastJSON into a string holding its JSON).
func decodeQueueKey(key string) (queueKey, error) {
	var mq queueKey
	if err := json.Unmarshal([]byte(key), &mq); err != nil {
		return mq, fmt.Errorf("admin: decode queue %q: %w", key, err)
	}
	return mq, nil
}

// Permission bits of a topic (Java's PermName).
const (
	PermRead  = 4
	PermWrite = 2
)

// TopicSpec describes a topic to create or update (mqadmin updateTopic).
type TopicSpec struct {
	Topic string
	// ReadQueues and WriteQueues are the queue counts per broker; zero
	// means 4 (RocketMQ's default).
	ReadQueues, WriteQueues int
	// Perm is the permission (PermRead|PermWrite, the default when zero).
	Perm int
	// Order marks the topic as ordered.
	Order bool
	// Brokers are the broker addresses to create the topic on. When empty,
	// the masters of Cluster are used, or the masters of every cluster
	// when Cluster is "" too.
	Brokers []string
	Cluster string
}

// UpdateTopic creates the topic, or updates its queue counts and
// permission, on each broker of spec, and returns the addresses updated.
func (c *Client) UpdateTopic(ctx context.Context, spec TopicSpec) ([]string, error) {
	if spec.Topic == "" {
		return nil, errors.New("admin: update topic: no topic name")
	}
	if spec.ReadQueues == 0 {
		spec.ReadQueues = 4
	}
	if spec.WriteQueues == 0 {
		spec.WriteQueues = 4
	}
	if spec.Perm == 0 {
		spec.Perm = PermRead | PermWrite
	}
	brokers := spec.Brokers
	if len(brokers) == 0 {
		info, err := c.Cluster(ctx)
		if err != nil {
			return nil, err
		}
		brokers = info.Masters(spec.Cluster)
		if len(brokers) == 0 {
			if spec.Cluster != "" {
				return nil, fmt.Errorf("admin: update topic %s: cluster %q has no master broker", spec.Topic, spec.Cluster)
			}
			return nil, fmt.Errorf("admin: update topic %s: the name server knows no master broker", spec.Topic)
		}
	}
	for _, addr := range brokers {
		resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.UpdateAndCreateTopic, remoting.Fields{
			{Key: "topic", Value: spec.Topic},
			{Key: "defaultTopic", Value: "TBW102"},
			{Key: "readQueueNums", Value: strconv.Itoa(spec.ReadQueues)},
			{Key: "writeQueueNums", Value: strconv.Itoa(spec.WriteQueues)},
			{Key: "perm", Value: strconv.Itoa(spec.Perm)},
			{Key: "topicFilterType", Value: "SINGLE_TAG"},
			{Key: "topicSysFlag", Value: "0"},
			{Key: "order", Value: strconv.FormatBool(spec.Order)},
		}, nil))
		if err != nil {
			return nil, err
		}
		if err := check(resp); err != nil {
			return nil, fmt.Errorf("admin: update topic %s on %s: %w", spec.Topic, addr, err)
		}
	}
	return brokers, nil
}

// Masters returns the master addresses of the brokers of cluster (every
// cluster when cluster is ""), sorted.
func (info ClusterInfo) Masters(cluster string) []string {
	var out []string
	for _, b := range info.Brokers {
		if cluster != "" && b.Cluster != cluster {
			continue
		}
		if a := b.Master(); a != "" {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// DeleteTopic deletes the topic from every master serving it, then from
// every name server (mqadmin deleteTopic); ErrTopicNotFound when no name
// server has a route for it.
func (c *Client) DeleteTopic(ctx context.Context, topic string) error {
	masters, err := c.masters(ctx, topic)
	if err != nil {
		return err
	}
	for _, addr := range masters {
		resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.DeleteTopicInBroker,
			remoting.Fields{{Key: "topic", Value: topic}}, nil))
		if err != nil {
			return err
		}
		if err := check(resp); err != nil {
			return fmt.Errorf("admin: delete topic %s on %s: %w", topic, addr, err)
		}
	}
	var errs []error
	for _, ns := range c.cfg.NameServers {
		resp, err := c.invoke(ctx, ns, remoting.NewRequest(remoting.DeleteTopicInNameServer,
			remoting.Fields{{Key: "topic", Value: topic}}, nil))
		if err == nil {
			err = check(resp)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("admin: delete topic %s on name server %s: %w", topic, ns, err))
		}
	}
	return errors.Join(errs...)
}
