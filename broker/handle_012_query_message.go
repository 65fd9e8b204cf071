package broker

// QUERY_MESSAGE (12) and VIEW_MESSAGE_BY_ID (33).
//
// Behavior: 12 looks up topic + key (a KEYS entry, or the client's UNIQ_KEY
// when _UNIQUE_KEY_QUERY is "true": both are indexed) among messages stored
// between beginTimestamp and endTimestamp, newest first, at most maxNum, and
// answers the stored records back to back (QUERY_NOT_FOUND when none). 33
// answers the one record at the commit-log offset given as offset (the
// client derives it from an offset message id).
//
// Deviations: indexLastUpdateTimestamp / indexLastUpdatePhyoffset report
// the commit log's end; the index is always up to date with it.

import (
	"strconv"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() {
	register(remoting.QueryMessage, handleQueryMessage)
	register(remoting.ViewMessageByID, handleViewMessageByID)
}

// maxQueryResults bounds one QUERY_MESSAGE answer.
const maxQueryResults = 64

func handleQueryMessage(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	f := req.ExtFields
	topic, key := f.Get("topic"), f.Get("key")
	if topic == "" || key == "" {
		return errorResponse(req, remoting.InvalidParameter, "QUERY_MESSAGE needs topic and key")
	}
	maxNum := maxQueryResults
	if n, err := f.Int32("maxNum"); err == nil && n > 0 {
		maxNum = min(int(n), maxQueryResults)
	}
	begin, _ := f.Int64("beginTimestamp")
	end, err := f.Int64("endTimestamp")
	if err != nil || end <= 0 {
		end = time.Now().UnixMilli() + 1000
	}
	body, err := b.QueryMessages(topic, key, maxNum, begin, end)
	if err != nil {
		return errorResponse(req, remoting.SystemError, err.Error())
	}
	if len(body) == 0 {
		return errorResponse(req, remoting.QueryNotFound, "no message with key "+key+" on topic "+topic+
			" in the time range")
	}
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.ExtFields = remoting.Fields{
		{Key: "indexLastUpdateTimestamp", Value: strconv.FormatInt(time.Now().UnixMilli(), 10)},
		{Key: "indexLastUpdatePhyoffset", Value: strconv.FormatInt(b.store.MaxPhysicalOffset(), 10)},
	}
	resp.Body = body
	return resp
}

func handleViewMessageByID(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	off, err := req.ExtFields.Int64("offset")
	if err != nil {
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	rec, err := b.store.ReadRecord(off)
	if err != nil {
		return errorResponse(req, remoting.SystemError, "no message at commit-log offset "+strconv.FormatInt(off, 10))
	}
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.Body = rec
	return resp
}
