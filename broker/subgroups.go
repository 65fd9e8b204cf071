package broker

// Subscription groups: the settings of each consumer group that an
// administrator created or changed (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP),
// persisted as DataDir/config/subscriptionGroup.json in Java's layout. A
// group nobody configured gets RocketMQ's defaults, unless
// autoCreateSubscriptionGroup is off; then its pulls are refused.

import (
	"encoding/json"
	"github.com/rocketkit/rocketkit/protocol/payload"
	"maps"
	"sync"
	"sync/atomic"
	"time"
)

// subscriptionGroupConfig is Java's SubscriptionGroupConfig.
type subscriptionGroupConfig = payload.SubscriptionGroupConfig

// defaultSubscriptionGroup returns Java's defaults for a new group.
func defaultSubscriptionGroup(name string) subscriptionGroupConfig {
	return payload.NewSubscriptionGroupConfig(name)
}

// decodeSubscriptionGroup reads a SubscriptionGroupConfig body; fields it
// leaves out keep Java's defaults, as fastjson leaves them.
func decodeSubscriptionGroup(body []byte) (subscriptionGroupConfig, error) {
	sg := defaultSubscriptionGroup("")
	if err := json.Unmarshal(body, &sg); err != nil {
		return sg, err
	}
	return sg, nil
}

// dataVersion is Java's DataVersion: bumped on every change.
type dataVersion struct {
	StateVersion int64 `json:"stateVersion"`
	Timestamp    int64 `json:"timestamp"`
	Counter      int64 `json:"counter"`
}

func (v *dataVersion) next() {
	v.Timestamp = time.Now().UnixMilli()
	v.Counter++
}

// subscriptionGroupFile is subscriptionGroup.json, and
// GET_ALL_SUBSCRIPTIONGROUP_CONFIG's body.
type subscriptionGroupFile struct {
	Table       map[string]subscriptionGroupConfig `json:"subscriptionGroupTable"`
	Forbidden   map[string]map[string]int          `json:"forbiddenTable"`
	DataVersion dataVersion                        `json:"dataVersion"`
}

// systemGroups are the groups Java's SubscriptionGroupManager creates at
// start, so that its tools (TOOLS_CONSUMER: admin browsing) work with
// autoCreateSubscriptionGroup off.
var systemGroups = []string{"TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP",
	"CID_ONS-HTTP-PROXY", "CID_ONSAPI_PULL", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER", "CID_RMQ_SYS_TRANS"}

// subGroupTable holds the configured groups.
type subGroupTable struct {
	file *configFile
	// autoCreate serves unconfigured groups with the defaults
	// (autoCreateSubscriptionGroup); it may change at runtime.
	autoCreate atomic.Bool

	mu      sync.RWMutex
	groups  map[string]subscriptionGroupConfig // guarded by mu
	version dataVersion                        // guarded by mu
}

func loadSubGroupTable(cfg Config) (*subGroupTable, error) {
	t := &subGroupTable{file: newConfigFile(cfg.DataDir, "subscriptionGroup.json", "subscription groups"),
		groups: make(map[string]subscriptionGroupConfig)}
	t.file.indent = true
	t.autoCreate.Store(!cfg.DisableAutoCreateSubscriptionGroup)
	var f subscriptionGroupFile
	found, err := t.file.load(&f)
	if err != nil {
		return nil, err
	}
	if found {
		for name, sg := range f.Table {
			sg.GroupName = name
			t.groups[name] = sg
		}
		t.version = f.DataVersion
	} else {
		t.version.Timestamp = time.Now().UnixMilli()
	}
	for _, name := range systemGroups {
		if _, ok := t.groups[name]; !ok {
			t.groups[name] = defaultSubscriptionGroup(name)
		}
	}
	return t, nil
}

// find returns the group's settings: its own, else the defaults when
// unconfigured groups are accepted; ok is false when the group is neither.
func (t *subGroupTable) find(name string) (sg subscriptionGroupConfig, ok bool) {
	t.mu.RLock()
	sg, ok = t.groups[name]
	t.mu.RUnlock()
	if ok {
		return sg, true
	}
	return defaultSubscriptionGroup(name), t.autoCreate.Load()
}

// put creates or replaces a group's settings and writes the file.
func (t *subGroupTable) put(sg subscriptionGroupConfig) error {
	t.mu.Lock()
	t.groups[sg.GroupName] = sg
	t.version.next()
	t.mu.Unlock()
	t.file.markDirty()
	return t.persist()
}

// remove deletes a group's settings and writes the file; it reports
// whether the group was configured.
func (t *subGroupTable) remove(name string) (bool, error) {
	t.mu.Lock()
	_, ok := t.groups[name]
	delete(t.groups, name)
	t.version.next()
	t.mu.Unlock()
	if !ok {
		return false, nil
	}
	t.file.markDirty()
	return true, t.persist()
}

// snapshot returns the configured groups and the data version.
func (t *subGroupTable) snapshot() subscriptionGroupFile {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return subscriptionGroupFile{Table: maps.Clone(t.groups), Forbidden: map[string]map[string]int{},
		DataVersion: t.version}
}

// persist writes the file if it changed.
func (t *subGroupTable) persist() error {
	return t.file.persist(func() any { return t.snapshot() })
}

// replaceWith makes the configured groups the master's (a slave's
// SlaveSynchronize) when its data version differs, and writes the file.
func (t *subGroupTable) replaceWith(master subscriptionGroupFile) error {
	t.mu.Lock()
	if t.version == master.DataVersion {
		t.mu.Unlock()
		return nil
	}
	t.groups = make(map[string]subscriptionGroupConfig, len(master.Table))
	for name, sg := range master.Table {
		sg.GroupName = name
		t.groups[name] = sg
	}
	t.version = master.DataVersion
	t.mu.Unlock()
	t.file.markDirty()
	return t.persist()
}
