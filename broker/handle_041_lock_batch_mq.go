package broker

// LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42).
//
// Behavior: wire doc §5.12. 41 locks, for the body's clientId, every queue
// of mqSet that is free, already its own, or whose lock expired, and answers
// {"lockOKMQSet":[...]} with those. 42 releases the queues the client owns.
//
// Deviations: locks are also released when the owner's connection closes or
// it leaves the group (Java waits for expiry), so a failed-over orderly
// consumer resumes without the 60 s wait. A client refused some queues is
// sent NOTIFY_CONSUMER_IDS_CHANGED when the first refused lock expires, so
// it asks again then (lockWaits): the Go client never unlocks queues it
// gives up, and retries only at its 20 s rebalance otherwise.

import (
	"encoding/json"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() {
	register(remoting.LockBatchMQ, handleLockBatchMQ)
	register(remoting.UnlockBatchMQ, handleUnlockBatchMQ)
}

// lockBatchBody is the body of 41 and 42.
type lockBatchBody struct {
	ConsumerGroup string         `json:"consumerGroup"`
	ClientID      string         `json:"clientId"`
	MQSet         []MessageQueue `json:"mqSet"`
}

func parseLockBody(req *remoting.Command) (lockBatchBody, *remoting.Command) {
	var body lockBatchBody
	if err := json.Unmarshal(req.Body, &body); err != nil {
		return body, errorResponse(req, remoting.InvalidParameter, "lock body: "+err.Error())
	}
	if body.ConsumerGroup == "" || body.ClientID == "" {
		return body, errorResponse(req, remoting.InvalidParameter, "lock body needs consumerGroup and clientId")
	}
	return body, nil
}

func handleLockBatchMQ(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	body, errResp := parseLockBody(req)
	if errResp != nil {
		return errResp
	}
	locked, freeAt := b.locks.tryLock(body.ConsumerGroup, body.ClientID, body.MQSet, time.Now())
	if !freeAt.IsZero() {
		b.lockWaits.wakeAt(c, body.ConsumerGroup, body.ClientID, freeAt)
	}
	return jsonResponse(req, struct {
		Locked []MessageQueue `json:"lockOKMQSet"`
	}{locked})
}

func handleUnlockBatchMQ(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	body, errResp := parseLockBody(req)
	if errResp != nil {
		return errResp
	}
	b.locks.unlock(body.ConsumerGroup, body.ClientID, body.MQSet)
	return remoting.NewResponse(req, remoting.Success, "")
}
