package broker

// Requests the broker passes on to one consumer and whose answer it
// returns (Java's AdminBrokerProcessor.callConsumer): an admin tool asks
// the broker, which asks the consumer over the consumer's own connection.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// callClientTimeout bounds the wait for the consumer's answer, as Java's
// Broker2Client.callClient (10 s).
const callClientTimeout = 10 * time.Second

// consumerConn returns the connection of the group's member clientID, or
// an answer to req saying it is not online (SYSTEM_ERROR, Java's remark).
func (b *Broker) consumerConn(req *remoting.Command, group, clientID string) (*conn, *remoting.Command) {
	if c := b.clients.memberConns(group)[clientID]; c != nil {
		return c, nil
	}
	return nil, errorResponse(req, remoting.SystemError, fmt.Sprintf("The Consumer <%s> <%s> not online", group, clientID))
}

// callConsumer sends the consumer on target a request of code with req's
// header fields and body, and turns its answer into the answer to req:
// the consumer's code, remark and body. A consumer that does not answer
// within callClientTimeout gets CONSUME_MSG_TIMEOUT, a connection that
// closes SYSTEM_ERROR.
func callConsumer(ctx context.Context, target *conn, code int16, req *remoting.Command, group, clientID string) *remoting.Command {
	ctx, cancel := context.WithTimeout(ctx, callClientTimeout)
	defer cancel()
	answer, err := target.invoke(ctx, code, req.ExtFields.Clone(), req.Body)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return errorResponse(req, remoting.ConsumeMsgTimeout, fmt.Sprintf("consumer <%s> <%s> Timeout: %v", group, clientID, err))
	case err != nil:
		return errorResponse(req, remoting.SystemError, fmt.Sprintf("invoke consumer <%s> <%s> Exception: %v", group, clientID, err))
	}
	resp := remoting.NewResponse(req, answer.Code, answer.Remark)
	resp.ExtFields = answer.ExtFields
	resp.Body = answer.Body
	return resp
}
