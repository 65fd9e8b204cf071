package broker

import (
	"sync"

	"github.com/rocketkit/rocketkit/protocol/payload"
)

// offsetKey names one consumer offset.
type offsetKey struct {
	group   string
	topic   string
	queueID int32
}

// storedOffset is one row of the offsets file.
type storedOffset struct {
	Group   string `json:"group"`
	Topic   string `json:"topic"`
	QueueID int32  `json:"queueId"`
	Offset  int64  `json:"offset"`
}

// offsetTable holds each group's next offset to consume per queue,
// persisted every few seconds and on Close.
type offsetTable struct {
	file    *configFile
	mu      sync.RWMutex
	offsets map[offsetKey]int64 // guarded by mu
}

func loadOffsetTable(dataDir string) (*offsetTable, error) {
	t := &offsetTable{file: newConfigFile(dataDir, "consumerOffset.json", "consumer offsets"),
		offsets: make(map[offsetKey]int64)}
	var rows []storedOffset
	if _, err := t.file.load(&rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		t.offsets[offsetKey{r.Group, r.Topic, r.QueueID}] = r.Offset
	}
	return t, nil
}

// get returns the stored offset.
func (t *offsetTable) get(group, topic string, queueID int32) (int64, bool) {
	t.mu.RLock()
	off, ok := t.offsets[offsetKey{group, topic, queueID}]
	t.mu.RUnlock()
	return off, ok
}

// commit stores offset as the group's next offset for the queue.
func (t *offsetTable) commit(group, topic string, queueID int32, offset int64) {
	if offset < 0 {
		return
	}
	k := offsetKey{group, topic, queueID}
	t.mu.Lock()
	old, ok := t.offsets[k]
	t.offsets[k] = offset
	t.mu.Unlock()
	if !ok || old != offset {
		t.file.markDirty()
	}
}

// forGroup returns a copy of the group's offsets.
func (t *offsetTable) forGroup(group string) map[offsetKey]int64 {
	out := make(map[offsetKey]int64)
	t.mu.RLock()
	for k, v := range t.offsets {
		if k.group == group {
			out[k] = v
		}
	}
	t.mu.RUnlock()
	return out
}

// groups lists the groups that have offsets on topic ("" = any topic).
func (t *offsetTable) groups(topic string) []string {
	seen := map[string]bool{}
	var out []string
	t.mu.RLock()
	for k := range t.offsets {
		if (topic == "" || k.topic == topic) && !seen[k.group] {
			seen[k.group] = true
			out = append(out, k.group)
		}
	}
	t.mu.RUnlock()
	return out
}

// dropTopic forgets every offset on topic.
func (t *offsetTable) dropTopic(topic string) {
	dropped := false
	t.mu.Lock()
	for k := range t.offsets {
		if k.topic == topic {
			delete(t.offsets, k)
			dropped = true
		}
	}
	t.mu.Unlock()
	if dropped {
		t.file.markDirty()
	}
}

// dropGroup forgets every offset of group (DELETE_SUBSCRIPTIONGROUP with
// cleanOffset).
func (t *offsetTable) dropGroup(group string) {
	dropped := false
	t.mu.Lock()
	for k := range t.offsets {
		if k.group == group {
			delete(t.offsets, k)
			dropped = true
		}
	}
	t.mu.Unlock()
	if dropped {
		t.file.markDirty()
	}
}

// persist writes the offsets if they changed.
func (t *offsetTable) persist() error {
	return t.file.persist(func() any {
		t.mu.RLock()
		defer t.mu.RUnlock()
		rows := make([]storedOffset, 0, len(t.offsets))
		for k, v := range t.offsets {
			rows = append(rows, storedOffset{k.group, k.topic, k.queueID, v})
		}
		return rows
	})
}

// table returns every offset as GET_ALL_CONSUMER_OFFSET answers them.
func (t *offsetTable) table() payload.ConsumerOffsetTable {
	out := payload.ConsumerOffsetTable{OffsetTable: make(map[string]map[int32]int64)}
	t.mu.RLock()
	defer t.mu.RUnlock()
	for k, off := range t.offsets {
		key := payload.ConsumerOffsetKey(k.topic, k.group)
		q := out.OffsetTable[key]
		if q == nil {
			q = make(map[int32]int64)
			out.OffsetTable[key] = q
		}
		q[k.queueID] = off
	}
	return out
}

// mergeFrom takes the master's offsets over these (a slave's
// SlaveSynchronize, Java's putAll): every offset the master has replaces
// the slave's; offsets only the slave has (committed to it while the
// master was down) stay. It reports how many changed.
func (t *offsetTable) mergeFrom(master payload.ConsumerOffsetTable) int {
	n := 0
	t.mu.Lock()
	for key, queues := range master.OffsetTable {
		topic, group, ok := payload.SplitConsumerOffsetKey(key)
		if !ok {
			continue
		}
		for q, off := range queues {
			k := offsetKey{group, topic, q}
			if old, ok := t.offsets[k]; !ok || old != off {
				t.offsets[k] = off
				n++
			}
		}
	}
	t.mu.Unlock()
	if n > 0 {
		t.file.markDirty()
	}
	return n
}
