package broker

// The broker configuration as GET_BROKER_CONFIG shows it and
// UPDATE_BROKER_CONFIG changes it: Java's key=value properties text. Only
// the keys in runtimeKeys change on a running broker; the rest need a
// restart. A change is written back to the broker.conf the broker was
// started with (Config.BrokerConfigPath), as Java's Configuration.persist
// does.

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rocketkit/rocketkit/broker/store"
	"github.com/rocketkit/rocketkit/internal/javaprops"
)

// confBlackList are the keys Java refuses to update (BrokerConfig's
// configBlackList plus what AdminBrokerProcessor adds).
var confBlackList = map[string]bool{"brokerConfigPath": true, "rocketmqHome": true, "configBlackList": true}

// runtimeKey is a broker.conf key that UPDATE_BROKER_CONFIG may change.
type runtimeKey struct {
	// parse validates and normalises a value.
	parse func(v string) (string, error)
	// apply makes a parsed value take effect.
	apply func(b *Broker, v string)
}

// runtimeKeys are the keys a running broker applies at once.
var runtimeKeys = map[string]runtimeKey{
	"autoCreateSubscriptionGroup": {parse: parseConfBool, apply: func(b *Broker, v string) {
		b.subGroups.autoCreate.Store(v == "true")
	}},
	"autoCreateTopicEnable": {parse: parseConfBool, apply: func(b *Broker, v string) {
		b.topics.autoCreate.Store(v == "true")
	}},
	"defaultTopicQueueNums": {parse: func(v string) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 1024 {
			return "", fmt.Errorf("%q is not a queue count (1-1024)", v)
		}
		return strconv.Itoa(n), nil
	}, apply: func(b *Broker, v string) {
		n, _ := strconv.Atoi(v) // parsed above
		b.topics.queueNums.Store(int32(n))
	}},
}

func parseConfBool(v string) (string, error) {
	var on bool
	if err := confSetBool(&on, strings.TrimSpace(v)); err != nil {
		return "", err
	}
	return strconv.FormatBool(on), nil
}

// runtimeSettings holds the values changed since start and the data
// version GET_BROKER_CONFIG reports.
type runtimeSettings struct {
	mu      sync.Mutex
	changed map[string]string // key -> value; guarded by mu
	version dataVersion       // guarded by mu
	fileMu  sync.Mutex        // serialises writes of the broker.conf
}

func newRuntimeSettings(Config) *runtimeSettings {
	s := &runtimeSettings{changed: map[string]string{}}
	s.version.next()
	s.version.Counter = 0
	return s
}

// configProperties returns the effective configuration by RocketMQ's key
// names: what Config holds, overlaid with the values changed at runtime.
func (b *Broker) configProperties() map[string]string {
	c := b.cfg
	ms := func(d interface{ Milliseconds() int64 }) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	_, port, _ := net.SplitHostPort(b.addr)
	host, _, _ := net.SplitHostPort(b.addr)
	p := map[string]string{
		"brokerClusterName":               c.ClusterName,
		"brokerName":                      c.BrokerName,
		"brokerId":                        strconv.FormatInt(c.BrokerID, 10),
		"brokerRole":                      "ASYNC_MASTER",
		"brokerPermission":                "6",
		"brokerIP1":                       host,
		"listenPort":                      port,
		"namesrvAddr":                     cmp.Or(c.NamesrvAddr, b.addr),
		"storePathRootDir":                c.DataDir,
		"storePathCommitLog":              c.DataDir + string(os.PathSeparator) + "commitlog",
		"flushDiskType":                   c.FlushDiskType,
		"flushIntervalCommitLog":          ms(c.FlushInterval),
		"syncFlushTimeout":                ms(c.SyncFlushTimeout),
		"mappedFileSizeCommitLog":         strconv.FormatInt(c.SegmentSize, 10),
		"autoCreateTopicEnable":           strconv.FormatBool(b.topics.autoCreate.Load()),
		"autoCreateSubscriptionGroup":     strconv.FormatBool(b.subGroups.autoCreate.Load()),
		"defaultTopicQueueNums":           strconv.Itoa(int(b.topics.queueNums.Load())),
		"maxMessageSize":                  strconv.Itoa(c.MaxMessageSize),
		"messageDelayLevel":               c.MessageDelayLevel,
		"transactionTimeOut":              ms(c.TransactionTimeout),
		"transactionCheckInterval":        ms(c.TransactionCheckInterval),
		"transactionCheckMax":             strconv.Itoa(c.TransactionCheckMax),
		"channelExpiredTimeout":           ms(c.ChannelExpiredTimeout),
		"aclEnable":                       strconv.FormatBool(c.ACLEnable),
		"serverChannelMaxIdleTimeSeconds": strconv.FormatInt(int64(c.IdleTimeout.Seconds()), 10),
		"brokerConfigPath":                c.BrokerConfigPath,
	}
	b.settings.mu.Lock()
	maps.Copy(p, b.settings.changed)
	b.settings.mu.Unlock()
	return p
}

// configText is GET_BROKER_CONFIG's body, key=value lines sorted by key
// (Java's MixAll.properties2String over a TreeMap), and the data version
// JSON of its header.
func (b *Broker) configText() (text string, version dataVersion) {
	p := b.configProperties()
	var sb strings.Builder
	for _, k := range slices.Sorted(maps.Keys(p)) {
		sb.WriteString(k)
		sb.WriteByte('=')
		sb.WriteString(p[k])
		sb.WriteByte('\n')
	}
	b.settings.mu.Lock()
	version = b.settings.version
	b.settings.mu.Unlock()
	return sb.String(), version
}

// updateConfig applies a properties body: every key must be one a running
// broker can change, or nothing is applied. The changes are then written
// to Config.BrokerConfigPath when there is one; a failed write is returned
// after the changes took effect.
func (b *Broker) updateConfig(body string) error {
	entries := javaprops.Read(body)
	parsed := make(map[string]string, len(entries))
	var errs []error
	for _, e := range entries {
		switch {
		case e.Err != nil:
			errs = append(errs, fmt.Errorf("%w: line %d: %s: %w", errConfRefused, e.Line, e.Key, e.Err))
		case confBlackList[e.Key]:
			return errConfBlackListed
		default:
			v, err := parseRuntimeKey(e.Key, e.Value)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			parsed[e.Key] = v
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(parsed) == 0 {
		return nil
	}
	b.settings.mu.Lock()
	for k, v := range parsed {
		runtimeKeys[k].apply(b, v)
		b.settings.changed[k] = v
	}
	b.settings.version.next()
	b.settings.mu.Unlock()
	b.log.Info("broker config updated", "keys", slices.Sorted(maps.Keys(parsed)))
	if b.cfg.BrokerConfigPath == "" {
		return nil
	}
	b.settings.fileMu.Lock()
	defer b.settings.fileMu.Unlock()
	return rewriteBrokerConf(b.cfg.BrokerConfigPath, parsed)
}

// parseRuntimeKey checks that key may change at runtime and v is valid.
func parseRuntimeKey(key, v string) (string, error) {
	rk, ok := runtimeKeys[key]
	switch {
	case ok:
		pv, err := rk.parse(v)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %w", errConfRefused, key, err)
		}
		return pv, nil
	case confKeys[key].set != nil:
		return "", fmt.Errorf("%w: %s takes effect only at start; set it in broker.conf and restart (runtime keys: %s)",
			errConfRefused, key, strings.Join(slices.Sorted(maps.Keys(runtimeKeys)), ", "))
	case ignoredConfKeys[key] != "":
		return "", fmt.Errorf("%w: %s has no effect on this broker: %s", errConfRefused, key, ignoredConfKeys[key])
	}
	hint := suggestConfKey(key)
	if hint != "" {
		hint = " (" + hint + ")"
	}
	return "", fmt.Errorf("%w: unknown key %q%s", errConfRefused, key, hint)
}

// rewriteBrokerConf sets each key of changes in the broker.conf at path
// (rewriteConfText) and replaces the file atomically.
func rewriteBrokerConf(path string, changes map[string]string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("broker: write config back: %w", err)
	}
	if err := store.WriteFileAtomic(path, []byte(rewriteConfText(string(data), changes))); err != nil {
		return fmt.Errorf("broker: write config back to %s: %w", path, err)
	}
	return nil
}

// rewriteConfText sets each key of changes in a properties text: the
// key's last entry (the one that counts) is replaced by key=value, other
// lines and comments are kept (with \n line breaks), and a key the text
// lacks is appended. Values must need no escaping (runtimeKeys' values do
// not).
func rewriteConfText(data string, changes map[string]string) string {
	// Line numbers as javaprops counts them: every line break becomes \n.
	text := strings.ReplaceAll(strings.ReplaceAll(data, "\r\n", "\n"), "\r", "\n")
	lines := strings.SplitAfter(text, "\n")
	last := map[string]int{} // key -> 0-based first line of its last entry
	for _, e := range javaprops.Read(text) {
		if _, ok := changes[e.Key]; ok {
			last[e.Key] = e.Line - 1
		}
	}
	drop := map[int]bool{}
	for key, at := range last {
		for i := at; i < len(lines) && confLineContinues(lines[i]); i++ {
			drop[i+1] = true // the continuation lines of a multi-line entry
		}
		lines[at] = key + "=" + changes[key] + "\n"
	}
	var sb strings.Builder
	for i, l := range lines {
		if !drop[i] {
			sb.WriteString(l)
		}
	}
	out := sb.String()
	for _, key := range slices.Sorted(maps.Keys(changes)) {
		if _, ok := last[key]; !ok {
			if out != "" && !strings.HasSuffix(out, "\n") {
				out += "\n"
			}
			if i := strings.LastIndexByte(out[:max(len(out)-1, 0)], '\n'); out != "" && confLineContinues(out[i+1:]) {
				out += "\n" // the last line goes on: give it an empty line to end on
			}
			out += key + "=" + changes[key] + "\n"
		}
	}
	return out
}

// confLineContinues reports whether a properties line ends in an odd
// number of backslashes (the entry goes on on the next line).
func confLineContinues(line string) bool {
	line = strings.TrimRight(line, "\r\n")
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}
