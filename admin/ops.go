package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// QueueData is one broker's share of a topic.
type QueueData struct {
	BrokerName  string `json:"brokerName"`
	ReadQueues  int    `json:"readQueueNums"`
	WriteQueues int    `json:"writeQueueNums"`
	Perm        int    `json:"perm"`
}

// BrokerData is one broker (a master and its slaves) by id (0 = master).
type BrokerData struct {
	Cluster    string            `json:"cluster"`
	BrokerName string            `json:"brokerName"`
	Addrs      map[string]string `json:"brokerAddrs"`
}

// Master returns the master's address, or "".
func (b BrokerData) Master() string { return b.Addrs["0"] }

// Route is a topic's route data.
type Route struct {
	Queues  []QueueData  `json:"queueDatas"`
	Brokers []BrokerData `json:"brokerDatas"`
}

// Route returns the topic's route from the first name server that knows
// it; ErrTopicNotFound when none does.
func (c *Client) Route(ctx context.Context, topic string) (Route, error) {
	resp, err := c.invokeNameServer(ctx, func() *remoting.Command {
		return remoting.NewRequest(remoting.GetRouteInfoByTopic, remoting.Fields{{Key: "topic", Value: topic}}, nil)
	})
	if err != nil {
		return Route{}, err
	}
	if resp.Code == remoting.TopicNotExist {
		return Route{}, fmt.Errorf("%w: %s", ErrTopicNotFound, topic)
	}
	if err := check(resp); err != nil {
		return Route{}, fmt.Errorf("admin: route of %s: %w", topic, err)
	}
	var r Route
	if err := json.Unmarshal(payload.NormalizeFastJSON(resp.Body), &r); err != nil {
		return Route{}, fmt.Errorf("admin: decode route of %s: %w", topic, err)
	}
	return r, nil
}

// masters returns the master addresses serving topic.
func (c *Client) masters(ctx context.Context, topic string) ([]string, error) {
	r, err := c.Route(ctx, topic)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, b := range r.Brokers {
		if a := b.Master(); a != "" {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("admin: topic %s has no master broker", topic)
	}
	return out, nil
}

// Topics lists every topic the name server knows, sorted.
func (c *Client) Topics(ctx context.Context) ([]string, error) {
	resp, err := c.invokeNameServer(ctx, func() *remoting.Command {
		return remoting.NewRequest(remoting.GetAllTopicListFromNameServer, nil, nil)
	})
	if err != nil {
		return nil, err
	}
	if err := check(resp); err != nil {
		return nil, fmt.Errorf("admin: topic list: %w", err)
	}
	var body struct {
		Topics []string `json:"topicList"`
	}
	if err := json.Unmarshal(payload.NormalizeFastJSON(resp.Body), &body); err != nil {
		return nil, fmt.Errorf("admin: decode topic list: %w", err)
	}
	slices.Sort(body.Topics)
	return body.Topics, nil
}

// ClusterInfo maps cluster names to their brokers.
type ClusterInfo struct {
	Brokers  map[string]BrokerData `json:"brokerAddrTable"`
	Clusters map[string][]string   `json:"clusterAddrTable"`
}

// Cluster returns the cluster layout (mqadmin clusterList).
func (c *Client) Cluster(ctx context.Context) (ClusterInfo, error) {
	resp, err := c.invokeNameServer(ctx, func() *remoting.Command {
		return remoting.NewRequest(remoting.GetBrokerClusterInfo, nil, nil)
	})
	if err != nil {
		return ClusterInfo{}, err
	}
	if err := check(resp); err != nil {
		return ClusterInfo{}, fmt.Errorf("admin: cluster info: %w", err)
	}
	var info ClusterInfo
	if err := json.Unmarshal(payload.NormalizeFastJSON(resp.Body), &info); err != nil {
		return ClusterInfo{}, fmt.Errorf("admin: decode cluster info: %w", err)
	}
	return info, nil
}

// Query selects messages by key.
type Query struct {
	Topic string
	// Key is a KEYS entry, or a message's unique id (its MsgID).
	Key string
	// Begin and End bound the store time; zero values mean unbounded.
	Begin, End time.Time
	// Max bounds the number of messages per broker. Default 32.
	Max int
}

// QueryByKey finds the messages of q.Topic with key q.Key on every master
// of the topic, newest first per broker.
func (c *Client) QueryByKey(ctx context.Context, q Query) ([]message.Ext, error) {
	masters, err := c.masters(ctx, q.Topic)
	if err != nil {
		return nil, err
	}
	if q.Max <= 0 {
		q.Max = 32
	}
	end := q.End
	if end.IsZero() {
		end = time.Now().Add(time.Hour)
	}
	var out []message.Ext
	for _, addr := range masters {
		resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.QueryMessage, remoting.Fields{
			{Key: "topic", Value: q.Topic}, {Key: "key", Value: q.Key},
			{Key: "maxNum", Value: strconv.Itoa(q.Max)},
			{Key: "beginTimestamp", Value: strconv.FormatInt(max(q.Begin.UnixMilli(), 0), 10)},
			{Key: "endTimestamp", Value: strconv.FormatInt(end.UnixMilli(), 10)},
		}, nil))
		if err != nil {
			return nil, err
		}
		if resp.Code == remoting.QueryNotFound {
			continue
		}
		if err := check(resp); err != nil {
			return nil, fmt.Errorf("admin: query %s on %s: %w", q.Key, addr, err)
		}
		msgs, err := message.DecodeAll(resp.Body, false)
		if err != nil {
			return nil, fmt.Errorf("admin: decode query answer from %s: %w", addr, err)
		}
		for _, m := range msgs {
			if hasKey(m, q.Key) {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// hasKey reports whether m carries key in KEYS or as its unique id
// (brokers answer by hash and may include collisions).
func hasKey(m message.Ext, key string) bool {
	if uniq, ok := message.GetProperty(m.Properties, message.PropertyUniqKey); ok && uniq == key {
		return true
	}
	keys, _ := message.GetProperty(m.Properties, message.PropertyKeys)
	return slices.Contains(strings.Fields(keys), key)
}

// ViewMessage returns the message with the given offset message id (the
// id a broker assigns, which encodes its address and commit-log offset).
func (c *Client) ViewMessage(ctx context.Context, offsetMsgID string) (message.Ext, error) {
	host, offset, err := message.ParseOffsetMsgID(offsetMsgID)
	if err != nil {
		return message.Ext{}, fmt.Errorf("admin: %w", err)
	}
	resp, err := c.invoke(ctx, host.String(), remoting.NewRequest(remoting.ViewMessageByID,
		remoting.Fields{{Key: "offset", Value: strconv.FormatInt(offset, 10)}}, nil))
	if err != nil {
		return message.Ext{}, err
	}
	if err := check(resp); err != nil {
		return message.Ext{}, fmt.Errorf("%w: message %s: %w", ErrNotFound, offsetMsgID, err)
	}
	m, _, err := message.Decode(resp.Body, false)
	if err != nil {
		return message.Ext{}, fmt.Errorf("admin: decode message %s: %w", offsetMsgID, err)
	}
	return m, nil
}

// QueueProgress is a group's position on one queue.
type QueueProgress struct {
	Topic          string
	BrokerName     string
	QueueID        int
	BrokerOffset   int64 // next offset to be written
	ConsumerOffset int64 // next offset to be consumed
}

// Lag is the number of messages not yet consumed.
func (q QueueProgress) Lag() int64 { return max(0, q.BrokerOffset-q.ConsumerOffset) }

// ConsumeStats returns the group's progress on every queue of topic ("" =
// all its topics), from every master serving topic (or the masters of the
// group's retry topic when topic is "").
func (c *Client) ConsumeStats(ctx context.Context, group, topic string) ([]QueueProgress, error) {
	routeTopic := topic
	if routeTopic == "" {
		routeTopic = message.RetryTopic(group)
	}
	masters, err := c.masters(ctx, routeTopic)
	if err != nil {
		return nil, err
	}
	var out []QueueProgress
	for _, addr := range masters {
		resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.GetConsumeStats, remoting.Fields{
			{Key: "consumerGroup", Value: group}, {Key: "topic", Value: topic}}, nil))
		if err != nil {
			return nil, err
		}
		if err := check(resp); err != nil {
			return nil, fmt.Errorf("admin: consume stats of %s on %s: %w", group, addr, err)
		}
		var body struct {
			Table map[string]struct {
				BrokerOffset   int64 `json:"brokerOffset"`
				ConsumerOffset int64 `json:"consumerOffset"`
			} `json:"offsetTable"`
		}
		if err := json.Unmarshal(payload.NormalizeFastJSON(resp.Body), &body); err != nil {
			return nil, fmt.Errorf("admin: decode consume stats from %s: %w", addr, err)
		}
		for key, v := range body.Table {
			var mq struct {
				Topic      string `json:"topic"`
				BrokerName string `json:"brokerName"`
				QueueID    int    `json:"queueId"`
			}
			if err := json.Unmarshal([]byte(key), &mq); err != nil {
				return nil, fmt.Errorf("admin: decode queue %q: %w", key, err)
			}
			out = append(out, QueueProgress{Topic: mq.Topic, BrokerName: mq.BrokerName, QueueID: mq.QueueID,
				BrokerOffset: v.BrokerOffset, ConsumerOffset: v.ConsumerOffset})
		}
	}
	slices.SortFunc(out, func(a, b QueueProgress) int {
		if a.Topic != b.Topic {
			return strings.Compare(a.Topic, b.Topic)
		}
		if a.BrokerName != b.BrokerName {
			return strings.Compare(a.BrokerName, b.BrokerName)
		}
		return a.QueueID - b.QueueID
	})
	return out, nil
}

// Member is one live consumer of a group and what it subscribes.
type Member struct {
	ClientID string
	Addr     string
	// Language and Version are the client's as it reported them in its
	// heartbeat ("JAVA", "GO"; RocketMQ's MQVersion ordinal, 317 = V4_5_2).
	Language string
	Version  int
	// Subscriptions maps topic to the member's expression ("*", "TagA || TagB").
	// Brokers that report only the group's subscription (Java) give every
	// member the group's.
	Subscriptions map[string]string
}

// ErrGroupOffline is returned by GroupMembers when the group has no live
// member.
var ErrGroupOffline = errors.New("admin: consumer group not online")

// GroupMembers lists the group's live members on the brokers serving its
// retry topic.
func (c *Client) GroupMembers(ctx context.Context, group string) ([]Member, error) {
	masters, err := c.masters(ctx, message.RetryTopic(group))
	if err != nil {
		if errors.Is(err, ErrTopicNotFound) {
			return nil, fmt.Errorf("%w: %s", ErrGroupOffline, group)
		}
		return nil, err
	}
	byID := map[string]*Member{}
	for _, addr := range masters {
		resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.GetConsumerConnectionList,
			remoting.Fields{{Key: "consumerGroup", Value: group}}, nil))
		if err != nil {
			return nil, err
		}
		if resp.Code == consumerNotOnline {
			continue
		}
		if err := check(resp); err != nil {
			return nil, fmt.Errorf("admin: members of %s on %s: %w", group, addr, err)
		}
		var body struct {
			Connections []struct {
				ClientID string `json:"clientId"`
				Addr     string `json:"clientAddr"`
				Language string `json:"language"`
				Version  int    `json:"version"`
			} `json:"connectionSet"`
			Table map[string]struct {
				SubString string `json:"subString"`
			} `json:"subscriptionTable"`
			Members []struct {
				ClientID      string `json:"clientId"`
				Subscriptions []struct {
					Topic      string `json:"topic"`
					Expression string `json:"subString"`
				} `json:"subscriptions"`
			} `json:"members"`
		}
		if err := json.Unmarshal(payload.NormalizeFastJSON(resp.Body), &body); err != nil {
			return nil, fmt.Errorf("admin: decode members of %s: %w", group, err)
		}
		for _, conn := range body.Connections {
			m := &Member{ClientID: conn.ClientID, Addr: conn.Addr, Language: conn.Language, Version: conn.Version,
				Subscriptions: map[string]string{}}
			for topic, s := range body.Table {
				m.Subscriptions[topic] = s.SubString
			}
			byID[conn.ClientID] = m
		}
		for _, own := range body.Members { // RocketKit brokers: each member's own
			if m := byID[own.ClientID]; m != nil {
				m.Subscriptions = map[string]string{}
				for _, s := range own.Subscriptions {
					m.Subscriptions[s.Topic] = s.Expression
				}
			}
		}
	}
	if len(byID) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrGroupOffline, group)
	}
	out := make([]Member, 0, len(byID))
	for _, m := range byID {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.ClientID, b.ClientID) })
	return out, nil
}

// consumerNotOnline is Java's CONSUMER_NOT_ONLINE response code.
const consumerNotOnline = 206
