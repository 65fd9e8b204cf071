package broker

// HEART_BEAT (34).
//
// Behavior: wire doc §5.2. The client's producer and consumer groups are
// registered under its clientID and this connection before the answer (the
// client asks for the member list right after), %RETRY%<group> is created
// for every consumer group (and registered with the name servers before
// the answer, with Config.NamesrvAddr), and the other members of a group the client
// joined or left are told to rebalance (NOTIFY_CONSUMER_IDS_CHANGED).
//
// The body is read in every shape a real client writes (heartbeat_body.go):
// enums as names (Java, Go) or ordinals and subVersion as a string (the C++
// client family). A consumer group with an illegal name (or whose retry
// topic cannot be created) is skipped and logged, and the rest of the
// heartbeat is registered, as Java skips a group it finds no subscription
// group config for.
//
// Deviations: a heartbeat is authoritative for its clientID: groups it no
// longer lists are left at once (Java waits for the 120 s expiry), which
// makes a consumer's shutdown visible to its group promptly. A member that
// joins is notified too, not only the others, so a consumer that lost its
// queues while the broker restarted takes them back at its next heartbeat.
// Producer groups with illegal names are skipped too (Java registers any
// name). An undecodable body is SYSTEM_ERROR for the whole heartbeat, as in
// Java. heartbeatFingerprint (HEART_BEAT V2) is ignored: every heartbeat is
// a full one, and the answer says isSupportHeartBeatV2=false.

import (
	"slices"
	"time"

	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/protocol/payload"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.HeartBeat, handleHeartBeat) }

func handleHeartBeat(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	hb, err := payload.ParseHeartbeat(req.Body)
	if err != nil {
		return errorResponse(req, remoting.SystemError, "heartbeat body: "+err.Error())
	}
	if hb.ClientID == "" {
		return errorResponse(req, remoting.InvalidParameter, "heartbeat without clientID")
	}
	hb.Consumers = slices.DeleteFunc(hb.Consumers, func(cd payload.ConsumerData) bool {
		err := message.ValidateGroup(cd.Group)
		if err == nil {
			_, err = b.topics.ensure(message.RetryTopic(cd.Group), 1)
		}
		if err != nil {
			b.log.Warn("heartbeat: consumer group skipped", "client", hb.ClientID, "remote", c.remote.String(), "err", err)
		}
		return err != nil
	})
	hb.Producers = slices.DeleteFunc(hb.Producers, func(pd payload.ProducerData) bool {
		err := message.ValidateGroup(pd.Group)
		if err != nil {
			b.log.Warn("heartbeat: producer group skipped", "client", hb.ClientID, "remote", c.remote.String(), "err", err)
		}
		return err != nil
	})
	b.syncRegistration() // retry topics created above reach the name servers first
	b.clients.register(c, &hb, time.Now())
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.ExtFields = remoting.Fields{{Key: "isSupportHeartBeatV2", Value: "false"}}
	return resp
}
