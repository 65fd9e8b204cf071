package broker

// subscription returns what a pull of group on topic is served by: the
// group's effective subscription filter (nil when the group has not
// subscribed topic) and the newest subVersion a live member registered for
// it, which Java keeps as the group's subscription version (a heartbeat
// replaces the group's subscription only with a newer version).
func (t *clientTable) subscription(group, topic string) (*subFilter, int64) {
	f := t.filter(group, topic)
	if f == nil {
		return nil, 0
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	version := f.sub.SubVersion
	g := t.consumers[group]
	if g == nil {
		return f, version
	}
	for _, m := range g.members {
		if s, ok := m.subs[topic]; ok && s.SubVersion > version {
			version = s.SubVersion
		}
	}
	return f, version
}
