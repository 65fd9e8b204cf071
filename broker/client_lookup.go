package broker

import "time"

// clientConn returns an open connection of the client instance clientID
// (a consumer group member or a producer), or nil. Java's broker finds a
// requester's channel the same way to push it a reply
// (ProducerManager.findChannel) or to ask a consumer for its state.
func (t *clientTable) clientConn(clientID string) *conn {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, byConn := range t.producers {
		for c, p := range byConn {
			if p.clientID == clientID {
				return c
			}
		}
	}
	for _, g := range t.consumers {
		if m := g.members[clientID]; m != nil {
			return m.conn
		}
	}
	return nil
}

// memberConns returns the connections of a consumer group's live members
// by client id.
func (t *clientTable) memberConns(group string) map[string]*conn {
	t.mu.RLock()
	defer t.mu.RUnlock()
	g := t.consumers[group]
	if g == nil {
		return nil
	}
	conns := make(map[string]*conn, len(g.members))
	for id, m := range g.members {
		conns[id] = m.conn
	}
	return conns
}

// addRequester registers c as a connection of client clientID, a producer
// of group, unless the client has an open connection here already: for
// the sender of a request, whose reply is pushed to it (reply.go).
func (t *clientTable) addRequester(group, clientID string, c *conn) {
	if t.clientConn(clientID) != nil {
		return
	}
	t.mu.Lock()
	t.addProducerLocked(group, clientID, c, time.Now())
	t.mu.Unlock()
}
