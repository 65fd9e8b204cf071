package broker

// HEART_BEAT (34).
//
// Behavior: wire doc §5.2. The client's producer and consumer groups are
// registered under its clientID and this connection before the answer (the
// client asks for the member list right after), %RETRY%<group> is created
// for every consumer group, and the other members of a group the client
// joined or left are told to rebalance (NOTIFY_CONSUMER_IDS_CHANGED).
//
// Deviations: a heartbeat is authoritative for its clientID: groups it no
// longer lists are left at once (Java waits for the 120 s expiry), which
// makes a consumer's shutdown visible to its group promptly. A member that
// joins is notified too, not only the others, so a consumer that lost its
// queues while the broker restarted takes them back at its next heartbeat.

import (
	"encoding/json"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.HeartBeat, handleHeartBeat) }

func handleHeartBeat(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	var hb heartbeat
	if err := json.Unmarshal(req.Body, &hb); err != nil {
		return errorResponse(req, remoting.SystemError, "heartbeat body: "+err.Error())
	}
	if hb.ClientID == "" {
		return errorResponse(req, remoting.InvalidParameter, "heartbeat without clientID")
	}
	for _, cd := range hb.Consumers {
		if err := message.ValidateGroup(cd.GroupName); err != nil {
			return errorResponse(req, remoting.InvalidParameter, err.Error())
		}
		if _, err := b.topics.ensure(message.RetryTopic(cd.GroupName), 1); err != nil {
			return errorResponse(req, remoting.InvalidParameter, err.Error())
		}
	}
	b.clients.register(c, &hb, time.Now())
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.ExtFields = remoting.Fields{{Key: "isSupportHeartBeatV2", Value: "false"}}
	return resp
}
