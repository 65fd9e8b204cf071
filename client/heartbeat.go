package client

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// heartbeats builds one heartbeat per member id: the client id's carries
// every producer group and the consumers registered under it; each extra
// consumer of a group in this client has a member id of its own.
func (c *Client) heartbeats() []payload.Heartbeat {
	c.mu.Lock()
	byID := make(map[string]*payload.Heartbeat)
	base := &payload.Heartbeat{ClientID: c.id}
	byID[c.id] = base
	for group := range c.producers {
		base.Producers = append(base.Producers, payload.ProducerData{Group: group})
	}
	for cm := range c.consumers {
		if c.leaving[cm] {
			continue
		}
		id := cm.memberID()
		hb := byID[id]
		if hb == nil {
			hb = &payload.Heartbeat{ClientID: id}
			byID[id] = hb
		}
		hb.Consumers = append(hb.Consumers, cm.heartbeat())
	}
	c.mu.Unlock()

	out := make([]payload.Heartbeat, 0, len(byID))
	for _, hb := range byID {
		if len(hb.Producers)+len(hb.Consumers) == 0 {
			continue
		}
		slices.SortFunc(hb.Producers, func(a, b payload.ProducerData) int { return cmp.Compare(a.Group, b.Group) })
		slices.SortFunc(hb.Consumers, func(a, b payload.ConsumerData) int { return cmp.Compare(a.Group, b.Group) })
		out = append(out, *hb)
	}
	slices.SortFunc(out, func(a, b payload.Heartbeat) int { return cmp.Compare(a.ClientID, b.ClientID) })
	return out
}

// sendHeartbeats sends every member's heartbeat to every broker known from
// the routes in use (slaves too when a consumer is registered), in
// parallel. It fails, with the errors joined, only when no broker took
// them: a broker that is down (a crashed master still in a route not
// refreshed yet) is logged and left to the next round, as Java's
// sendHeartbeatToAllBroker does.
func (c *Client) sendHeartbeats(ctx context.Context) error {
	c.hbMu.Lock()
	defer c.hbMu.Unlock()
	hbs := c.heartbeats()
	if len(hbs) == 0 {
		return nil
	}
	withSlaves := slices.ContainsFunc(hbs, func(h payload.Heartbeat) bool { return len(h.Consumers) > 0 })
	addrs := c.routes.brokerAddrs(withSlaves)
	bodies := make([][]byte, len(hbs))
	for i, hb := range hbs {
		bodies[i] = hb.Encode()
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		failed = map[string]bool{}
	)
	for _, addr := range addrs {
		wg.Go(func() {
			for _, body := range bodies {
				req := remoting.NewClientRequest(remoting.HeartBeat, nil, body)
				if _, err := c.callOK(ctx, addr, req); err != nil {
					mu.Lock()
					errs = append(errs, err)
					failed[addr] = true
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(failed) == len(addrs) {
		return errors.Join(errs...)
	}
	if len(errs) > 0 {
		c.log.Warn("heartbeat not taken by every broker; retrying next round", "failed", len(failed), "of", len(addrs), "err", errors.Join(errs...))
	}
	return nil
}

// triggerHeartbeat asks the heartbeat loop to send heartbeats now.
func (c *Client) triggerHeartbeat() {
	select {
	case c.heartbeatNow <- struct{}{}:
	default:
	}
}

func (c *Client) heartbeatLoop() {
	t := time.NewTicker(c.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		case <-c.heartbeatNow:
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.RequestTimeout)
		if err := c.sendHeartbeats(ctx); err != nil && !c.isClosed() {
			c.log.Warn("send heartbeat", "err", err)
		}
		cancel()
	}
}
