package broker

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/rocketkit/rocketkit/broker/store"
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
	path        string
	mu          sync.RWMutex
	offsets     map[offsetKey]int64 // guarded by mu
	dirty       bool                // guarded by mu
	persistLock sync.Mutex
}

func loadOffsetTable(path string) (*offsetTable, error) {
	t := &offsetTable{path: path, offsets: make(map[offsetKey]int64)}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return t, nil
	case err != nil:
		return nil, fmt.Errorf("broker: read consumer offsets: %w", err)
	}
	var rows []storedOffset
	if err := json.Unmarshal(data, &rows); err != nil {
		return nil, fmt.Errorf("broker: parse %s: %w", path, err)
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
	if old, ok := t.offsets[k]; !ok || old != offset {
		t.offsets[k] = offset
		t.dirty = true
	}
	t.mu.Unlock()
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
	t.mu.Lock()
	for k := range t.offsets {
		if k.topic == topic {
			delete(t.offsets, k)
			t.dirty = true
		}
	}
	t.mu.Unlock()
}

// persist writes the offsets if they changed.
func (t *offsetTable) persist() error {
	t.persistLock.Lock()
	defer t.persistLock.Unlock()
	t.mu.Lock()
	if !t.dirty {
		t.mu.Unlock()
		return nil
	}
	rows := make([]storedOffset, 0, len(t.offsets))
	for k, v := range t.offsets {
		rows = append(rows, storedOffset{k.group, k.topic, k.queueID, v})
	}
	t.dirty = false
	t.mu.Unlock()
	data, err := json.Marshal(rows)
	if err == nil {
		err = writeConfigFile(t.path, data)
	}
	if err != nil {
		t.mu.Lock()
		t.dirty = true
		t.mu.Unlock()
		return fmt.Errorf("broker: persist consumer offsets: %w", err)
	}
	return nil
}

// writeConfigFile atomically replaces a metadata file, creating its folder.
func writeConfigFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return store.WriteFileAtomic(path, data)
}
