package console

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// handleDLQ answers GET /api/dlq?group=&cursor=&limit=: a page of the
// group's dead-letter queue (%DLQ%<group>), oldest first, with the
// cursor of the next page. A group that never dead-lettered anything has
// no such topic: an empty page.
func (c *Console) handleDLQ(w http.ResponseWriter, r *http.Request) {
	group, err := required(r, "group")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	_, limit, err := pageOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	topic := message.DLQTopic(group)
	topics, err := c.adm.Topics(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	views := []messageView{}
	next := ""
	if slices.Contains(topics, topic) {
		msgs, n, err := c.timePage(r.Context(), topic, zeroTime, zeroTime, r.URL.Query().Get("cursor"), limit)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		next = n
		for i := range msgs {
			v := viewOf(&msgs[i], previewBytes, false)
			v.Properties = map[string]string{message.PropertyRetryTopic: originalTopic(&msgs[i])}
			views = append(views, v)
		}
	}
	writeJSON(w, map[string]any{"group": group, "topic": topic, "messages": views, "next": next})
}

// resendRequest is POST /api/dlq/resend's body.
type resendRequest struct {
	// ID is the dead-lettered copy's offset message id.
	ID string `json:"id"`
}

// handleResend answers POST /api/dlq/resend: it sends a copy of a
// dead-lettered message (body, tag, keys and user properties) to the topic
// it was first sent to, so the group's consumers get it again (as does
// every other group subscribed to that topic: a broker takes no message
// for one group only from a producer). The copy carries the property
// DLQ_ORIGIN_MSG_ID. It answers the new message's ids.
func (c *Console) handleResend(w http.ResponseWriter, r *http.Request) {
	if c.sender == nil {
		c.fail(w, r, ErrNoSender)
		return
	}
	var req resendRequest
	if err := decodeBody(r, &req); err != nil {
		c.fail(w, r, err)
		return
	}
	if _, _, err := message.ParseOffsetMsgID(req.ID); err != nil {
		c.fail(w, r, fmt.Errorf("%w: id: %w", ErrBadRequest, err))
		return
	}
	m, err := c.adm.ViewMessage(r.Context(), req.ID)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if !message.IsDLQTopic(m.Topic) {
		c.fail(w, r, fmt.Errorf("%w: message %s is in %s, not a dead-letter queue", ErrBadRequest, req.ID, m.Topic))
		return
	}
	topic := originalTopic(&m)
	if topic == "" || message.IsRetryTopic(topic) {
		c.fail(w, r, fmt.Errorf("%w: message %s does not say which topic it was sent to (no %s)", ErrBadRequest, req.ID, message.PropertyRetryTopic))
		return
	}
	body := m.Body
	if m.SysFlag&message.FlagCompressed != 0 {
		if body, err = inflate(m.Body, maxBody+1); err != nil || len(body) > maxBody {
			c.fail(w, r, fmt.Errorf("%w: cannot decompress the body of %s", ErrBadRequest, req.ID))
			return
		}
	}
	props := userProperties(m.Properties)
	props["DLQ_ORIGIN_MSG_ID"] = m.MsgID()
	keys, _ := message.GetProperty(m.Properties, message.PropertyKeys)
	res, err := c.sender.Send(r.Context(), &client.Message{Topic: topic, Tag: m.Tags(), Keys: strings.Fields(keys),
		Body: body, Properties: props})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.log.Info("console: resent a dead-lettered message", "from", req.ID, "topic", topic, "msg_id", res.MsgID)
	writeJSON(w, map[string]any{"topic": topic, "msgId": res.MsgID, "offsetMsgId": res.OffsetMsgID})
}

// originalTopic is the topic a dead-lettered message was first sent to.
func originalTopic(m *message.Ext) string {
	t, _ := message.GetProperty(m.Properties, message.PropertyRetryTopic)
	return t
}

// userProperties returns the properties of a stored message an
// application set: RocketMQ's own (Java's MessageConst.STRING_HASH_SET)
// are left out.
func userProperties(props string) map[string]string {
	out := map[string]string{}
	for k, v := range message.ParseProperties(props) {
		if !rocketmqProperties[k] {
			out[k] = v
		}
	}
	return out
}

var rocketmqProperties = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`TRACE_ON MSG_REGION KEYS TAGS WAIT DELAY RETRY_TOPIC REAL_TOPIC REAL_QID
		TRAN_MSG PGROUP MIN_OFFSET MAX_OFFSET BUYER_ID ORIGIN_MESSAGE_ID TRANSFER_FLAG CORRECTION_FLAG MQ2_FLAG
		RECONSUME_TIME UNIQ_KEY MAX_RECONSUME_TIMES CONSUME_START_TIME POP_CK POP_CK_OFFSET 1ST_POP_TIME
		TRAN_PREPARED_QUEUE_OFFSET DUP_INFO EXTEND_UNIQ_INFO INSTANCE_ID CORRELATION_ID REPLY_TO_CLIENT TTL
		ARRIVE_TIME PUSH_REPLY_TIME CLUSTER MSG_TYPE INNER_MULTI_QUEUE_OFFSET INNER_MULTI_DISPATCH
		TRANSACTION_CHECK_TIMES CHECK_IMMUNITY_TIME_IN_SECONDS SHARDING_KEY __transactionId__
		TIMER_DELIVER_MS TIMER_DELAY_SEC TIMER_DELAY_MS TIMER_OUT_MS TIMER_ENQUEUE_MS TIMER_DEQUEUE_MS
		TIMER_ROLL_TIMES TIMER_DEL_UNIQKEY __STARTDELIVERTIME TRACE_CONTEXT DLQ_ORIGIN_MSG_ID`) {
		m[k] = true
	}
	return m
}()
