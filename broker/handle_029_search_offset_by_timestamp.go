package broker

// SEARCH_OFFSET_BY_TIMESTAMP (29).
//
// Behavior: wire doc §5.10. offset = the earliest queue offset whose store
// time is at or after timestamp (ms); the min offset when the timestamp is
// earlier than every message, the max offset when later.

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() { register(remoting.SearchOffsetByTimestamp, handleSearchOffset) }

func handleSearchOffset(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	f := req.ExtFields
	queueID, err := f.Int32("queueId")
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	ts, err := f.Int64("timestamp")
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	return offsetResponse(req, b.store.SearchOffset(f.Get("topic"), queueID, ts))
}
