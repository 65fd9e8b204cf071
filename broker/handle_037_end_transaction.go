package broker

// END_TRANSACTION (37).
//
// Behavior: wire doc §5.13 and §11.3. commitOrRollback 8 appends the half
// message found at commitLogOffset to its real topic and queue (transaction
// flag COMMIT, TRAN_MSG removed, DELAY applied then); 12 discards it; 0
// (unknown) leaves it for the next check. Requests for half messages that
// are already resolved are ignored, since a commit and a later check answer
// may both arrive. A producerGroup that does not match the message's PGROUP
// is refused with SYSTEM_ERROR.
//
// Deviations: CHECK_IMMUNITY_TIME_IN_SECONDS delays checks but late
// non-check END_TRANSACTIONs are not refused with ILLEGAL_OPERATION; an
// immunity shorter than TransactionTimeout does not bring the first check
// forward (Java checks when the immunity ends).

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() { register(remoting.EndTransaction, handleEndTransaction) }

// Transaction states in commitOrRollback.
const (
	txUnknown  = 0
	txCommit   = 8
	txRollback = 12
)

func handleEndTransaction(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	if resp := b.refuseWrite(req); resp != nil {
		return resp
	}
	f := req.ExtFields
	offset, err := f.Int64("commitLogOffset")
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	state, err := f.Int32("commitOrRollback")
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	switch state {
	case txCommit, txRollback:
		if err := b.tx.end(offset, f.Get("producerGroup"), state == txCommit); err != nil {
			b.log.Warn("end transaction", "offset", offset, "msg_id", f.Get("msgId"), "err", err)
			return errorResponse(req, remoting.SystemError, err.Error())
		}
	case txUnknown:
	default:
		return errorResponse(req, remoting.InvalidParameter, "commitOrRollback must be 0, 8 or 12")
	}
	return remoting.NewResponse(req, remoting.Success, "")
}
