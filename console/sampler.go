package console

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// Run samples the cluster every Config.SampleInterval until ctx is
// cancelled, then returns nil: the brokers' TPS, each topic's message
// count (charted as a rate) and each group's total lag, at most
// Config.MaxSampled topics and groups per tick (system topics and groups
// are skipped). A failed sample is logged and the next tick tries again.
// Call it once, on its own goroutine.
func (c *Console) Run(ctx context.Context) error {
	t := time.NewTicker(c.cfg.SampleInterval)
	defer t.Stop()
	for {
		c.sample(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// sample takes one round of samples, each request bounded by the admin
// client's timeout.
func (c *Console) sample(ctx context.Context) {
	now := time.Now()
	if err := c.sampleBrokers(ctx, now); err != nil && ctx.Err() == nil {
		c.log.Warn("console: sample brokers", "err", err)
	}
	if err := c.sampleTopics(ctx, now); err != nil && ctx.Err() == nil {
		c.log.Warn("console: sample topics", "err", err)
	}
	if err := c.sampleGroups(ctx, now); err != nil && ctx.Err() == nil {
		c.log.Warn("console: sample groups", "err", err)
	}
}

func (c *Console) sampleBrokers(ctx context.Context, now time.Time) error {
	info, err := c.adm.Cluster(ctx)
	if err != nil {
		return err
	}
	var put, get float64
	for _, b := range info.Brokers {
		addr := b.Master()
		if addr == "" {
			continue
		}
		rt, err := c.adm.BrokerRuntimeInfo(ctx, addr)
		if err != nil {
			return err
		}
		put += firstTPS(rt["putTps"])
		get += firstTPS(rt["getTransferedTps"])
	}
	c.series.add("cluster:putTps", now, put)
	c.series.add("cluster:getTps", now, get)
	return nil
}

// firstTPS is the 10-second figure of a runtime-info TPS value ("1.0 0.5
// 0.2"), 0 when unparsable.
func firstTPS(s string) float64 {
	tps, err := admin.ParseTPS(s)
	if err != nil {
		return 0
	}
	return tps[0]
}

// sampleTopics records each user topic's message count (the sum of its
// queues' max offsets) under "count:<topic>" and the rate since the last
// sample under "topic:<topic>".
func (c *Console) sampleTopics(ctx context.Context, now time.Time) error {
	topics, err := c.adm.Topics(ctx)
	if err != nil {
		return err
	}
	slices.Sort(topics)
	n := 0
	var errs []error
	for _, t := range topics {
		if n >= c.cfg.MaxSampled {
			break
		}
		if isSystemTopic(t) {
			continue
		}
		n++
		st, err := c.adm.TopicStats(ctx, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var total int64
		for _, q := range st.Queues {
			total += q.MaxOffset
		}
		prev, ok := c.series.last("count:" + t)
		c.series.add("count:"+t, now, float64(total))
		if ok {
			c.series.add("topic:"+t, now, max(0, float64(total)-prev)/c.cfg.SampleInterval.Seconds())
		}
	}
	return errors.Join(errs...)
}

// sampleGroups records each user group's total lag under "group:<name>".
func (c *Console) sampleGroups(ctx context.Context, now time.Time) error {
	groups, err := c.groupNames(ctx)
	if err != nil {
		return err
	}
	n := 0
	var errs []error
	for _, g := range groups {
		if n >= c.cfg.MaxSampled {
			break
		}
		if isSystemGroup(g) {
			continue
		}
		n++
		qs, err := c.adm.ConsumeStats(ctx, g, "")
		if err != nil {
			if !errors.Is(err, admin.ErrTopicNotFound) {
				errs = append(errs, err)
			}
			continue
		}
		c.series.add("group:"+g, now, float64(totalLag(qs)))
	}
	return errors.Join(errs...)
}

// totalLag sums the lag of the group's queues, its retry topic's left out.
func totalLag(qs []admin.QueueProgress) int64 {
	var lag int64
	for _, q := range qs {
		if !message.IsRetryTopic(q.Topic) {
			lag += q.Lag()
		}
	}
	return lag
}

// systemTopics are RocketMQ's own topics, listed but not sampled.
var systemTopics = map[string]bool{"TBW102": true, "SCHEDULE_TOPIC_XXXX": true, "BenchmarkTest": true,
	"OFFSET_MOVED_EVENT": true, "SELF_TEST_TOPIC": true, "RMQ_SYS_TRANS_HALF_TOPIC": true,
	"RMQ_SYS_TRANS_OP_HALF_TOPIC": true, "TRANS_CHECK_MAX_TIME_TOPIC": true, "rmq_sys_REVIVE_LOG": true,
	"RMQ_SYS_TRACE_TOPIC": true, "DefaultHeartBeatSyncerTopic": true, "rmq_sys_wheel_timer": true}

func isSystemTopic(t string) bool {
	return systemTopics[t] || message.IsRetryTopic(t) || message.IsDLQTopic(t) ||
		len(t) > 8 && (t[:8] == "rmq_sys_" || t[:8] == "RMQ_SYS_")
}

// systemGroups are RocketMQ's own groups.
var systemGroups = map[string]bool{admin.ToolsGroup: true, "FILTERSRV_CONSUMER": true, "SELF_TEST_C_GROUP": true,
	"CID_ONS-HTTP-PROXY": true, "CID_ONSAPI_PERMISSION": true, "CID_ONSAPI_OWNER": true, "CID_ONSAPI_PULL": true,
	"CID_RMQ_SYS_TRANS": true, "CID_SYS_RMQ_TRANS": true, "CID_DefaultHeartBeatSyncerTopic": true}

func isSystemGroup(g string) bool { return systemGroups[g] }

// groupNames lists the subscription groups of every master, sorted.
func (c *Console) groupNames(ctx context.Context) ([]string, error) {
	info, err := c.adm.Cluster(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, b := range info.Brokers {
		addr := b.Master()
		if addr == "" {
			continue
		}
		sg, err := c.adm.SubscriptionGroups(ctx, addr)
		if err != nil {
			return nil, err
		}
		for g := range sg {
			seen[g] = true
		}
	}
	out := make([]string, 0, len(seen))
	for g := range seen {
		out = append(out, g)
	}
	slices.Sort(out)
	return out, nil
}
