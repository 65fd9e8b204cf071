package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// BrokerRuntimeInfo returns the runtime table of the broker at addr
// (mqadmin brokerStatus): counters and gauges by Java's key names, all as
// strings, e.g. "msgPutTotalTodayNow", "putTps" ("x y z": messages per
// second over the last 10, 60 and 600 seconds), "commitLogMaxOffset",
// "bootTimestamp". Cancelling ctx aborts the call.
func (c *Client) BrokerRuntimeInfo(ctx context.Context, addr string) (map[string]string, error) {
	resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.GetBrokerRuntimeInfo, nil, nil))
	if err != nil {
		return nil, err
	}
	if err := check(resp); err != nil {
		return nil, fmt.Errorf("admin: runtime info of %s: %w", addr, err)
	}
	var body struct {
		Table map[string]string `json:"table"`
	}
	if err := json.Unmarshal(payload.NormalizeFastJSON(resp.Body), &body); err != nil {
		return nil, fmt.Errorf("admin: decode runtime info of %s: %w", addr, err)
	}
	if body.Table == nil {
		body.Table = map[string]string{}
	}
	return body.Table, nil
}

// ParseTPS reads a "x y z" rate of BrokerRuntimeInfo ("putTps",
// "getTransferredTps") into its three numbers; an empty field (Java's for a
// window longer than the broker's uptime) reads as 0.
func ParseTPS(s string) ([3]float64, error) {
	var out [3]float64
	parts := strings.Split(s, " ")
	if len(parts) != 3 {
		return out, fmt.Errorf("admin: TPS %q: want three space-separated rates", s)
	}
	for i, p := range parts {
		if p == "" {
			continue
		}
		v, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return out, fmt.Errorf("admin: TPS %q: %w", s, err)
		}
		out[i] = v
	}
	return out, nil
}

// BrokerConfig is a broker's configuration as GET_BROKER_CONFIG returns it.
type BrokerConfig struct {
	// Properties maps RocketMQ's key names ("brokerName",
	// "autoCreateTopicEnable", ...) to their values.
	Properties map[string]string
	// Version is the broker's data version JSON; it changes with every
	// update.
	Version string
}

// BrokerConfig returns the configuration of the broker at addr (mqadmin
// getBrokerConfig). Cancelling ctx aborts the call.
func (c *Client) BrokerConfig(ctx context.Context, addr string) (BrokerConfig, error) {
	resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.GetBrokerConfig, nil, nil))
	if err != nil {
		return BrokerConfig{}, err
	}
	if err := check(resp); err != nil {
		return BrokerConfig{}, fmt.Errorf("admin: config of %s: %w", addr, err)
	}
	return BrokerConfig{Properties: parseProperties(string(resp.Body)), Version: resp.ExtFields.Get("version")}, nil
}

// parseProperties reads key=value lines as Java's Properties.load reads
// what a broker sends: comments and blank lines skipped, the first '=' or
// ':' separating key and value.
func parseProperties(text string) map[string]string {
	out := map[string]string{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			out[line] = ""
			continue
		}
		out[strings.TrimSpace(line[:i])] = strings.TrimSpace(line[i+1:])
	}
	return out
}

// UpdateBrokerConfig changes the configuration of the broker at addr
// (mqadmin updateBrokerConfig): it sends props as a properties body. A
// RocketKit broker applies only the keys it can change while running
// (autoCreateTopicEnable, defaultTopicQueueNums,
// autoCreateSubscriptionGroup) and writes them back to its broker.conf;
// it refuses the whole update, with an error naming the key, when one is
// unknown or needs a restart. Keys Java guards (brokerConfigPath) are
// refused with NO_PERMISSION. Cancelling ctx aborts the call.
func (c *Client) UpdateBrokerConfig(ctx context.Context, addr string, props map[string]string) error {
	if len(props) == 0 {
		return errors.New("admin: update broker config: no key to set")
	}
	var sb strings.Builder
	for _, k := range slices.Sorted(maps.Keys(props)) {
		if k == "" || strings.ContainsAny(k, "=:\n\r") || strings.ContainsAny(props[k], "\n\r") {
			return fmt.Errorf("admin: update broker config: bad entry %q=%q", k, props[k])
		}
		sb.WriteString(k + "=" + props[k] + "\n")
	}
	resp, err := c.invoke(ctx, addr, remoting.NewRequest(remoting.UpdateBrokerConfig, nil, []byte(sb.String())))
	if err != nil {
		return err
	}
	if err := check(resp); err != nil {
		return fmt.Errorf("admin: update config of %s: %w", addr, err)
	}
	return nil
}

// BrokerAddrs returns the addresses of the masters of cluster (every
// cluster when cluster is ""), for the calls that take a broker address.
func (c *Client) BrokerAddrs(ctx context.Context, cluster string) ([]string, error) {
	info, err := c.Cluster(ctx)
	if err != nil {
		return nil, err
	}
	addrs := info.Masters(cluster)
	if len(addrs) == 0 {
		if cluster != "" {
			return nil, fmt.Errorf("admin: cluster %q has no master broker", cluster)
		}
		return nil, errors.New("admin: the name server knows no master broker")
	}
	return addrs, nil
}
