package payload

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Topic permission bits (Java's PermName).
const (
	PermInherit = 1
	PermWrite   = 2
	PermRead    = 4
)

// MasterID is the broker id of a master in BrokerData.Addrs.
const MasterID = 0

// TopicRoute is a topic's route data (TopicRouteData): which brokers hold
// how many of its queues, and where those brokers are.
type TopicRoute struct {
	// OrderTopicConf, when not empty, lists "brokerName:queueCount" pairs
	// separated by ";" that producers use instead of Queues.
	OrderTopicConf string       `json:"orderTopicConf,omitempty"`
	Queues         []QueueData  `json:"queueDatas"`
	Brokers        []BrokerData `json:"brokerDatas"`
}

// QueueData is one broker's share of a topic.
type QueueData struct {
	BrokerName  string `json:"brokerName"`
	ReadQueues  int    `json:"readQueueNums"`
	WriteQueues int    `json:"writeQueueNums"`
	Perm        int    `json:"perm"`
}

// Readable reports whether consumers may pull from these queues.
func (q QueueData) Readable() bool { return q.Perm&PermRead != 0 }

// Writable reports whether producers may send to these queues.
func (q QueueData) Writable() bool { return q.Perm&PermWrite != 0 }

// BrokerData is one broker group: a master and its slaves by broker id.
type BrokerData struct {
	Cluster    string           `json:"cluster"`
	BrokerName string           `json:"brokerName"`
	Addrs      map[int64]string `json:"brokerAddrs"`
}

// Master returns the master's address, or "" when the group has none.
func (b BrokerData) Master() string { return b.Addrs[MasterID] }

// ParseTopicRoute decodes a GET_ROUTEINFO_BY_TOPIC answer body, standard
// JSON or fastjson. It fails on an empty body, a body that is not a route,
// and a route whose queueDatas is missing.
func ParseTopicRoute(body []byte) (TopicRoute, error) {
	if len(body) == 0 {
		return TopicRoute{}, fmt.Errorf("%w: empty route body", ErrMalformed)
	}
	var raw struct {
		TopicRoute
		Queues *[]QueueData `json:"queueDatas"`
	}
	if err := json.Unmarshal(NormalizeFastJSON(body), &raw); err != nil {
		return TopicRoute{}, fmt.Errorf("%w: route: %w", ErrMalformed, err)
	}
	if raw.Queues == nil {
		return TopicRoute{}, fmt.Errorf("%w: route without queueDatas", ErrMalformed)
	}
	r := raw.TopicRoute
	r.Queues = *raw.Queues
	for _, b := range r.Brokers {
		for id, addr := range b.Addrs {
			if strings.TrimSpace(addr) != addr || addr == "" {
				return TopicRoute{}, fmt.Errorf("%w: broker %s id %d has address %q", ErrMalformed, b.BrokerName, id, addr)
			}
		}
	}
	return r, nil
}

// Broker returns the broker group named name.
func (r TopicRoute) Broker(name string) (BrokerData, bool) {
	i := slices.IndexFunc(r.Brokers, func(b BrokerData) bool { return b.BrokerName == name })
	if i < 0 {
		return BrokerData{}, false
	}
	return r.Brokers[i], true
}

// Equal reports whether r and o describe the same queues and brokers,
// whatever their order.
func (r TopicRoute) Equal(o TopicRoute) bool {
	if r.OrderTopicConf != o.OrderTopicConf || len(r.Queues) != len(o.Queues) || len(r.Brokers) != len(o.Brokers) {
		return false
	}
	for _, q := range r.Queues {
		if !slices.Contains(o.Queues, q) {
			return false
		}
	}
	for _, b := range r.Brokers {
		ob, ok := o.Broker(b.BrokerName)
		if !ok || ob.Cluster != b.Cluster || len(ob.Addrs) != len(b.Addrs) {
			return false
		}
		for id, addr := range b.Addrs {
			if ob.Addrs[id] != addr {
				return false
			}
		}
	}
	return true
}
