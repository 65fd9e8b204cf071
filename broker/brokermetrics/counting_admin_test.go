package brokermetrics

import (
	"context"

	"github.com/rocketkit/rocketkit/admin"
)

// countingAdmin counts the admin requests a scrape makes (ConsumeStats and
// TopicStats as 2: a route and one broker, as against one broker).
type countingAdmin struct {
	Admin
	calls int
}

func (c *countingAdmin) Cluster(ctx context.Context) (admin.ClusterInfo, error) {
	c.calls++
	return c.Admin.Cluster(ctx)
}

func (c *countingAdmin) BrokerRuntimeInfo(ctx context.Context, addr string) (map[string]string, error) {
	c.calls++
	return c.Admin.BrokerRuntimeInfo(ctx, addr)
}

func (c *countingAdmin) SubscriptionGroups(ctx context.Context, addr string) (map[string]admin.SubscriptionGroup, error) {
	c.calls++
	return c.Admin.SubscriptionGroups(ctx, addr)
}

func (c *countingAdmin) ConsumeStats(ctx context.Context, group, topic string) ([]admin.QueueProgress, error) {
	c.calls += 2
	return c.Admin.ConsumeStats(ctx, group, topic)
}

func (c *countingAdmin) Topics(ctx context.Context) ([]string, error) {
	c.calls++
	return c.Admin.Topics(ctx)
}

func (c *countingAdmin) TopicStats(ctx context.Context, topic string) (admin.TopicStats, error) {
	c.calls += 2
	return c.Admin.TopicStats(ctx, topic)
}
