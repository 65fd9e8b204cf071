package broker

// subscription returns what a pull of group on topic is served by: the
// group's effective subscription filter (nil when the group has not
// subscribed topic) and the newest subVersion a live member registered for
// it, which Java keeps as the group's subscription version (a heartbeat
// replaces the group's subscription only with a newer version).
func (t *clientTable) subscription(group, topic string) (*subFilter, int64) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	g := t.consumers[group]
	if g == nil {
		return nil, 0
	}
	f := g.subs[topic]
	if f == nil {
		return nil, 0
	}
	version := f.sub.SubVersion
	for _, m := range g.members {
		if s, ok := m.subs[topic]; ok && s.SubVersion > version {
			version = s.SubVersion
		}
	}
	return f, version
}
