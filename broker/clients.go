package broker

import (
	"slices"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Message models and consume-from positions, as the client spells them.
const (
	ModelClustering   = payload.Clustering
	ModelBroadcasting = payload.Broadcasting
)

// Subscription is one consumer group member's subscription to a topic.
type Subscription struct {
	Topic          string   `json:"topic"`
	Expression     string   `json:"subString"`
	ExpressionType string   `json:"expressionType"`
	Tags           []string `json:"tagsSet"`
	SubVersion     int64    `json:"subVersion"`
}

// member is one client instance in a consumer group.
type member struct {
	clientID         string
	conn             *conn
	consumeType      string
	model            string
	consumeFromWhere string
	subs             map[string]Subscription // by topic
	lastSeen         time.Time
}

// consumerGroup is a group's live members. Like RocketMQ, the group's
// effective subscription per topic is the one from the latest heartbeat
// (the study's S6 pitfall, see examples/scenarios), kept in subs; each member's own is kept too so
// conflicting members can be reported.
type consumerGroup struct {
	name    string
	members map[string]*member // by clientID
	subs    map[string]*subFilter
}

// producer is one client instance in a producer group.
type producer struct {
	clientID string
	conn     *conn
	lastSeen time.Time
}

// clientTable tracks consumer and producer groups and their connections.
// Notifications to members (conn.wmu) are sent after mu is released.
type clientTable struct {
	b         *Broker
	mu        sync.RWMutex
	consumers map[string]*consumerGroup      // guarded by mu
	producers map[string]map[*conn]*producer // group -> connection; guarded by mu
}

func newClientTable(b *Broker) *clientTable {
	return &clientTable{
		b:         b,
		consumers: make(map[string]*consumerGroup),
		producers: make(map[string]map[*conn]*producer),
	}
}

// register applies a heartbeat. It is authoritative for hb.ClientID: groups
// the client no longer lists are left. Members who must rebalance are
// notified (NOTIFY_CONSUMER_IDS_CHANGED) after the table is updated.
func (t *clientTable) register(c *conn, hb *payload.Heartbeat, now time.Time) {
	var changed, joined []string
	t.mu.Lock()
	listed := make(map[string]bool, len(hb.Consumers))
	for _, cd := range hb.Consumers {
		listed[cd.Group] = true
		g := t.consumers[cd.Group]
		if g == nil {
			g = &consumerGroup{name: cd.Group, members: make(map[string]*member), subs: make(map[string]*subFilter)}
			t.consumers[cd.Group] = g
		}
		m := g.members[hb.ClientID]
		if m == nil || m.conn != c {
			joined = append(joined, g.name)
		}
		subs := make(map[string]Subscription, len(cd.Subscriptions))
		for _, sd := range cd.Subscriptions {
			s := Subscription{Topic: sd.Topic, Expression: sd.Expression, ExpressionType: sd.ExpressionType,
				Tags: sd.Tags, SubVersion: sd.Version}
			subs[s.Topic] = s
			if old := g.subs[s.Topic]; old == nil || old.sub.Expression != s.Expression || old.sub.ExpressionType != s.ExpressionType {
				f := newSubFilter(s)
				g.subs[s.Topic] = f
				if f.sqlErr != nil { // as Java's ConsumerFilterManager.register logs it; pulls answer FILTER_DATA_NOT_EXIST
					t.b.log.Warn("consumer subscription does not compile", "group", cd.Group, "topic", s.Topic,
						"client", hb.ClientID, "err", f.sqlErr)
				}
			}
		}
		g.members[hb.ClientID] = &member{
			clientID: hb.ClientID, conn: c, consumeType: cd.ConsumeType, model: cd.MessageModel,
			consumeFromWhere: cd.ConsumeFrom, subs: subs, lastSeen: now,
		}
	}
	for name, g := range t.consumers {
		if _, ok := g.members[hb.ClientID]; ok && !listed[name] {
			t.removeMemberLocked(g, hb.ClientID)
			changed = append(changed, name)
		}
	}
	listedP := make(map[string]bool, len(hb.Producers))
	for _, pd := range hb.Producers {
		listedP[pd.Group] = true
		t.addProducerLocked(pd.Group, hb.ClientID, c, now)
	}
	for name, ps := range t.producers {
		if _, ok := ps[c]; ok && !listedP[name] {
			delete(ps, c)
			if len(ps) == 0 {
				delete(t.producers, name)
			}
		}
	}
	t.mu.Unlock()
	// The joiner is told too: a client that was consuming when the broker
	// restarted finds its group empty at its next rebalance and drops its
	// queues until its next heartbeat; the notification after that
	// heartbeat makes it take them back at once instead of 20 s later.
	t.notify(joined, "")
	t.notify(changed, hb.ClientID)
}

// addProducer records a producer group's connection from a SEND, so
// transaction checks can be routed before the client's first heartbeat
// (sent 1 s after it starts).
func (t *clientTable) addProducer(group string, c *conn) {
	t.mu.RLock()
	_, known := t.producers[group][c]
	t.mu.RUnlock()
	if known {
		return
	}
	t.mu.Lock()
	if _, known := t.producers[group][c]; !known {
		t.addProducerLocked(group, "", c, time.Now())
	}
	t.mu.Unlock()
}

// Lock should be held.
func (t *clientTable) addProducerLocked(group, clientID string, c *conn, now time.Time) {
	ps := t.producers[group]
	if ps == nil {
		ps = make(map[*conn]*producer)
		t.producers[group] = ps
	}
	ps[c] = &producer{clientID: clientID, conn: c, lastSeen: now}
}

// Lock should be held.
func (t *clientTable) removeMemberLocked(g *consumerGroup, clientID string) {
	delete(g.members, clientID)
	if len(g.members) == 0 {
		delete(t.consumers, g.name)
	}
	t.b.locks.releaseClient(g.name, clientID)
}

// unregister removes one client from the named groups (UNREGISTER_CLIENT).
func (t *clientTable) unregister(clientID, consumerGroup, producerGroup string) {
	var changed []string
	t.mu.Lock()
	if g := t.consumers[consumerGroup]; g != nil {
		if _, ok := g.members[clientID]; ok {
			t.removeMemberLocked(g, clientID)
			changed = append(changed, consumerGroup)
		}
	}
	if ps := t.producers[producerGroup]; ps != nil {
		for c, p := range ps {
			if p.clientID == clientID {
				delete(ps, c)
			}
		}
		if len(ps) == 0 {
			delete(t.producers, producerGroup)
		}
	}
	t.mu.Unlock()
	t.notify(changed, clientID)
}

// connClosed forgets every client registered through c.
func (t *clientTable) connClosed(c *conn) {
	t.removeWhere(func(mc *conn, _ time.Time) bool { return mc == c })
}

// expire drops clients silent for longer than the channel expiry.
func (t *clientTable) expire(now time.Time) {
	limit := t.b.cfg.ChannelExpiredTimeout
	t.removeWhere(func(_ *conn, seen time.Time) bool { return now.Sub(seen) > limit })
}

func (t *clientTable) removeWhere(gone func(*conn, time.Time) bool) {
	var changed []string
	t.mu.Lock()
	for name, g := range t.consumers {
		for id, m := range g.members {
			if gone(m.conn, m.lastSeen) {
				t.removeMemberLocked(g, id)
				if !slices.Contains(changed, name) {
					changed = append(changed, name)
				}
			}
		}
	}
	for name, ps := range t.producers {
		for c, p := range ps {
			if gone(p.conn, p.lastSeen) {
				delete(ps, c)
			}
		}
		if len(ps) == 0 {
			delete(t.producers, name)
		}
	}
	t.mu.Unlock()
	t.notify(changed, "")
}

// notify tells the members of each group, except the one that caused the
// change, to rebalance now.
func (t *clientTable) notify(groups []string, except string) {
	for _, name := range groups {
		var targets []*conn
		t.mu.RLock()
		if g := t.consumers[name]; g != nil {
			for id, m := range g.members {
				if id != except && m.model != ModelBroadcasting && !slices.Contains(targets, m.conn) {
					targets = append(targets, m.conn)
				}
			}
		}
		t.mu.RUnlock()
		for _, c := range targets {
			c.sendOneway(remoting.NotifyConsumerIDsChanged, remoting.Fields{{Key: "consumerGroup", Value: name}}, nil)
		}
	}
}

// memberIDs lists a group's client ids, sorted.
func (t *clientTable) memberIDs(group string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	g := t.consumers[group]
	if g == nil {
		return []string{}
	}
	ids := make([]string, 0, len(g.members))
	for id := range g.members {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// filter returns the group's effective subscription filter for topic, or
// nil when the group has not subscribed it.
func (t *clientTable) filter(group, topic string) *subFilter {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if g := t.consumers[group]; g != nil {
		return g.subs[topic]
	}
	return nil
}

// producerConn returns a live connection of a producer group, or nil.
func (t *clientTable) producerConn(group string) *conn {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var newest *producer
	for _, p := range t.producers[group] {
		if newest == nil || p.lastSeen.After(newest.lastSeen) {
			newest = p
		}
	}
	if newest == nil {
		return nil
	}
	return newest.conn
}

// MemberInfo describes one live consumer group member.
type MemberInfo struct {
	ClientID         string         `json:"clientId"`
	Addr             string         `json:"clientAddr"`
	Model            string         `json:"messageModel"`
	ConsumeType      string         `json:"consumeType"`
	ConsumeFromWhere string         `json:"consumeFromWhere"`
	Subscriptions    []Subscription `json:"subscriptions"`
}

// members describes a group's live members, sorted by client id.
func (t *clientTable) members(group string) []MemberInfo {
	t.mu.RLock()
	defer t.mu.RUnlock()
	g := t.consumers[group]
	if g == nil {
		return nil
	}
	out := make([]MemberInfo, 0, len(g.members))
	for _, m := range g.members {
		mi := MemberInfo{ClientID: m.clientID, Addr: m.conn.remote.String(), Model: m.model,
			ConsumeType: m.consumeType, ConsumeFromWhere: m.consumeFromWhere}
		for _, s := range m.subs {
			mi.Subscriptions = append(mi.Subscriptions, s)
		}
		slices.SortFunc(mi.Subscriptions, func(a, b Subscription) int { return compareStrings(a.Topic, b.Topic) })
		out = append(out, mi)
	}
	slices.SortFunc(out, func(a, b MemberInfo) int { return compareStrings(a.ClientID, b.ClientID) })
	return out
}

// groupNames lists the consumer groups with live members.
func (t *clientTable) groupNames() []string {
	t.mu.RLock()
	out := make([]string, 0, len(t.consumers))
	for name := range t.consumers {
		out = append(out, name)
	}
	t.mu.RUnlock()
	slices.Sort(out)
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// groupSubscriptions returns the group's effective subscription per topic.
func (t *clientTable) groupSubscriptions(group string) map[string]*subFilter {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := map[string]*subFilter{}
	if g := t.consumers[group]; g != nil {
		for topic, f := range g.subs {
			out[topic] = f
		}
	}
	return out
}

// GroupMembers describes the live members of a consumer group and the
// subscriptions each registered, sorted by client id.
func (b *Broker) GroupMembers(group string) []MemberInfo { return b.clients.members(group) }
