package client

import (
	"context"

	"github.com/rocketkit/rocketkit/client/internal/rpc"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// serveRequest answers what brokers send on their own: transaction
// check-backs, member changes and replies to requests. It runs on a goroutine of its own per
// request (package rpc), so a slow checker delays nothing else.
func (c *Client) serveRequest(ctx context.Context, conn *rpc.Conn, req *remoting.Command) *remoting.Command {
	switch req.Code {
	case remoting.CheckTransactionState:
		c.serveCheck(ctx, conn, req)
		return nil
	case remoting.NotifyConsumerIDsChanged:
		group := req.ExtFields.Get("consumerGroup")
		c.log.Debug("consumer group members changed", "group", c.bareName(group), "broker", conn.Addr())
		for _, cm := range c.consumersOf(group) {
			cm.rebalanceSoon()
		}
		return nil
	case remoting.GetConsumerRunningInfo:
		group, id := req.ExtFields.Get("consumerGroup"), req.ExtFields.Get("clientId")
		for _, cm := range c.consumersOf(group) {
			if cm.memberID() == id {
				resp := remoting.NewResponse(req, remoting.Success, "")
				resp.Body = cm.runningInfo(req.ExtFields.Bool("jstackEnable"))
				return resp
			}
		}
		return remoting.NewResponse(req, remoting.SystemError, "Can't find specified client instance of: "+id)
	case remoting.ResetConsumerClientOffset:
		c.serveReset(ctx, conn, req)
		return nil
	case remoting.PushReplyMessageToClient:
		return c.serveReply(conn, req)
	}
	if req.IsOneway() {
		return nil
	}
	return remoting.NewResponse(req, remoting.RequestCodeNotSupported,
		remoting.RequestName(req.Code)+" is not supported by the rocketkit client")
}

// serveReset moves the offsets of the group's consumers in this client.
func (c *Client) serveReset(ctx context.Context, conn *rpc.Conn, req *remoting.Command) {
	group := req.ExtFields.Get("group")
	offsets, err := parseResetBody(req.Body)
	if err != nil {
		c.log.Warn("drop an offset reset", "group", c.bareName(group), "broker", conn.Addr(), "err", err)
		return
	}
	for _, cm := range c.consumersOf(group) {
		if _, err := cm.resetOffsets(ctx, offsets); err != nil {
			c.log.Warn("reset offsets", "group", c.bareName(group), "err", err)
		}
	}
}

// serveCheck hands a CHECK_TRANSACTION_STATE to the producer of the half
// message's group (PGROUP). A check for a group this client has no
// producer of is dropped with a log line: the broker checks again later,
// possibly with another member of the group.
func (c *Client) serveCheck(ctx context.Context, conn *rpc.Conn, req *remoting.Command) {
	ext, _, err := message.Decode(req.Body, false)
	if err != nil {
		c.log.Warn("drop a transaction check with an undecodable message", "broker", conn.Addr(), "err", err)
		return
	}
	m, err := newMessageExt(&ext, "")
	if err != nil {
		c.log.Warn("drop a transaction check", "broker", conn.Addr(), "err", err)
		return
	}
	group := m.Property(message.PropertyProducerGroup)
	c.mu.Lock()
	p := c.producers[group]
	c.mu.Unlock()
	if p == nil {
		c.log.Warn("drop a transaction check for a group without a producer here", "group", c.bareName(group),
			"msg_id", m.MsgID)
		return
	}
	m.Topic = c.bareName(m.Topic)
	p.checkTransaction(ctx, conn, req, m)
}
