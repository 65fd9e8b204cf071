package broker

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/payload"
)

// Topic permissions, as RocketMQ's PermName.
const (
	PermInherit = 1
	PermWrite   = 2
	PermRead    = 4
	permRW      = PermRead | PermWrite
)

// System topics.
const (
	// DefaultTopic is the topic producers fall back to when a route is
	// missing (TBW102); its queue count caps auto-created topics.
	DefaultTopic = "TBW102"
	// halfTopic holds transactional half messages until they are resolved.
	halfTopic = "RMQ_SYS_TRANS_HALF_TOPIC"
	// scheduleTopic parks delayed messages, one queue per delay level.
	scheduleTopic = "SCHEDULE_TOPIC_XXXX"
)

// TopicConfig is one topic's queue layout.
type TopicConfig struct {
	Name        string `json:"topicName"`
	ReadQueues  int    `json:"readQueueNums"`
	WriteQueues int    `json:"writeQueueNums"`
	Perm        int    `json:"perm"`
	Order       bool   `json:"order"`
}

// system reports whether t is internal and never routed to clients.
func (t TopicConfig) system() bool { return isSystemTopic(t.Name) }

// isSystemTopic reports whether name is one of the broker's internal topics.
func isSystemTopic(name string) bool {
	switch name {
	case halfTopic, opTopic, scheduleTopic, timerTopic:
		return true
	}
	return false
}

// topicTable is the broker's topic configuration, persisted as JSON.
type topicTable struct {
	file       *configFile
	autoCreate atomic.Bool  // autoCreateTopicEnable; changes at runtime (brokerconf_runtime.go)
	queueNums  atomic.Int32 // defaultTopicQueueNums; changes at runtime
	mu         sync.RWMutex
	topics     map[string]TopicConfig // guarded by mu

	// version counts changes (put, remove); changed gets a token after
	// each, for the name-server registrar (cluster.go).
	version atomic.Int64
	changed chan struct{}
}

func loadTopicTable(cfg Config) (*topicTable, error) {
	t := &topicTable{
		file:    newConfigFile(cfg.DataDir, "topics.json", "topics"),
		topics:  make(map[string]TopicConfig),
		changed: make(chan struct{}, 1),
	}
	t.autoCreate.Store(!cfg.DisableAutoCreateTopic)
	t.queueNums.Store(int32(cfg.DefaultTopicQueueNums))
	t.file.indent = true
	var list []TopicConfig
	if _, err := t.file.load(&list); err != nil {
		return nil, err
	}
	for _, tc := range list {
		t.topics[tc.Name] = tc
	}
	if _, ok := t.topics[DefaultTopic]; !ok {
		n := int(t.queueNums.Load())
		t.topics[DefaultTopic] = TopicConfig{Name: DefaultTopic, ReadQueues: n, WriteQueues: n, Perm: permRW | PermInherit}
		t.file.markDirty()
	}
	// Replies to requests go to the cluster's reply topic; Java creates it
	// at start (one queue) so responders find its route (reply.go).
	if name := message.ReplyTopic(cfg.ClusterName); t.topics[name].Name == "" {
		t.topics[name] = TopicConfig{Name: name, ReadQueues: 1, WriteQueues: 1, Perm: permRW}
		t.file.markDirty()
	}
	return t, nil
}

// adoptStoredQueues makes sure every queue that holds messages has a topic
// (e.g. after the topics file was lost), so no stored message becomes
// unreachable.
func (t *topicTable) adoptStoredQueues(queues []store.QueueID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, q := range queues {
		tc, ok := t.topics[q.Topic]
		n := int(q.QueueID) + 1
		if ok && tc.ReadQueues >= n && tc.WriteQueues >= n {
			continue
		}
		if !ok {
			tc = TopicConfig{Name: q.Topic, Perm: permRW}
		}
		tc.ReadQueues, tc.WriteQueues = max(tc.ReadQueues, n), max(tc.WriteQueues, n)
		t.topics[q.Topic] = tc
		t.file.markDirty()
	}
}

// get returns the topic's config.
func (t *topicTable) get(name string) (TopicConfig, bool) {
	t.mu.RLock()
	tc, ok := t.topics[name]
	t.mu.RUnlock()
	return tc, ok
}

// ensure returns the topic, creating it when allowed: retry and dead-letter
// topics always (one queue), other topics when auto-creation is on, with
// queues queue count (0 = the configured default).
func (t *topicTable) ensure(name string, queues int) (TopicConfig, error) {
	if tc, ok := t.get(name); ok {
		return tc, nil
	}
	if err := message.ValidateTopic(name); err != nil {
		return TopicConfig{}, err
	}
	internal := message.IsRetryTopic(name) || message.IsDLQTopic(name)
	if !internal && !t.autoCreate.Load() {
		return TopicConfig{}, fmt.Errorf("%w: %s (auto-creation is disabled)", errTopicNotExist, name)
	}
	switch {
	case internal:
		queues = 1
	case queues <= 0:
		queues = int(t.queueNums.Load())
	}
	return t.put(TopicConfig{Name: name, ReadQueues: queues, WriteQueues: queues, Perm: permRW}, false), nil
}

// put stores tc. With replace false an existing topic wins (a concurrent
// auto-create).
func (t *topicTable) put(tc TopicConfig, replace bool) TopicConfig {
	t.mu.Lock()
	if old, ok := t.topics[tc.Name]; ok && !replace {
		t.mu.Unlock()
		return old
	}
	t.topics[tc.Name] = tc
	t.mu.Unlock()
	t.file.markDirty()
	t.signal()
	return tc
}

// signal records a change for the registrar.
func (t *topicTable) signal() {
	t.version.Add(1)
	select {
	case t.changed <- struct{}{}:
	default: // one pending token is enough
	}
}

// registration returns every topic, system ones included, as a broker
// registers them with a name server.
func (t *topicTable) registration() map[string]payload.TopicConfig {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make(map[string]payload.TopicConfig, len(t.topics))
	for name, tc := range t.topics {
		out[name] = payload.TopicConfig{Name: name, ReadQueues: tc.ReadQueues, WriteQueues: tc.WriteQueues,
			Perm: tc.Perm, FilterType: "SINGLE_TAG", Order: tc.Order}
	}
	return out
}

// remove deletes a topic's configuration.
func (t *topicTable) remove(name string) bool {
	t.mu.Lock()
	_, ok := t.topics[name]
	delete(t.topics, name)
	t.mu.Unlock()
	if ok {
		t.file.markDirty()
		t.signal()
	}
	return ok
}

// names lists user-visible topics, sorted.
func (t *topicTable) names() []string {
	t.mu.RLock()
	out := make([]string, 0, len(t.topics))
	for name, tc := range t.topics {
		if !tc.system() {
			out = append(out, name)
		}
	}
	t.mu.RUnlock()
	slices.Sort(out)
	return out
}

// persist writes the table if it changed, sorted by name.
func (t *topicTable) persist() error {
	return t.file.persist(func() any {
		t.mu.RLock()
		list := make([]TopicConfig, 0, len(t.topics))
		for _, tc := range t.topics {
			list = append(list, tc)
		}
		t.mu.RUnlock()
		slices.SortFunc(list, func(a, b TopicConfig) int { return strings.Compare(a.Name, b.Name) })
		return list
	})
}

// adoptReplicated makes sure a slave has a topic for a queue its master's
// records arrived in, before the master's topic table is copied
// (slave_sync.go), so the replicated messages can be pulled at once.
func (t *topicTable) adoptReplicated(topic string, queueID int32) {
	t.mu.RLock()
	tc, ok := t.topics[topic]
	t.mu.RUnlock()
	if ok && int(queueID) < tc.ReadQueues && int(queueID) < tc.WriteQueues {
		return
	}
	t.adoptStoredQueues([]store.QueueID{{Topic: topic, QueueID: queueID}})
}

// replaceWith makes the table the master's (a slave's SlaveSynchronize):
// every topic of table, with its queue counts, permission and order flag;
// topics the master no longer has are dropped. It reports whether anything
// changed.
func (t *topicTable) replaceWith(table map[string]payload.TopicConfig) bool {
	next := make(map[string]TopicConfig, len(table))
	for name, tc := range table {
		next[name] = TopicConfig{Name: name, ReadQueues: tc.ReadQueues, WriteQueues: tc.WriteQueues,
			Perm: tc.Perm, Order: tc.Order}
	}
	t.mu.Lock()
	same := maps.Equal(t.topics, next)
	if !same {
		t.topics = next
	}
	t.mu.Unlock()
	if !same {
		t.file.markDirty()
		t.signal()
	}
	return !same
}
