package client

import (
	"errors"
	"fmt"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

var (
	// ErrClosed is returned by calls on a Client, Producer or Consumer
	// that has been closed.
	ErrClosed = errors.New("client: closed")

	// ErrNoNameServer is returned by New when Config.NameServers is empty.
	ErrNoNameServer = errors.New("client: no name server configured")

	// ErrTopicNotExist is returned when no name server knows a topic (and,
	// for sends, the broker does not create topics on first use).
	ErrTopicNotExist = errors.New("client: topic does not exist")

	// ErrNoQueue is returned when a topic's route has no queue the call
	// can use: none writable for a send, none readable for a consumer.
	ErrNoQueue = errors.New("client: no queue available")

	// ErrNoMaster is returned when a request must go to the master of a
	// broker group (a send to a queue chosen with ToQueue, a send-back, an
	// end of transaction) and the routes have none: it is down, or has
	// not registered with the name servers yet.
	ErrNoMaster = errors.New("client: broker group has no master")

	// ErrAlreadyStarted is returned by Consumer.Start on a consumer that is
	// running.
	ErrAlreadyStarted = errors.New("client: already started")

	// ErrGroupTaken is returned when a producer group is registered twice
	// in one Client.
	ErrGroupTaken = errors.New("client: producer group already registered in this client")

	// ErrReplyTimeout is returned by Producer.Request when no reply came
	// before ctx's deadline (the error wraps context.DeadlineExceeded too).
	ErrReplyTimeout = errors.New("client: no reply before the deadline")

	// ErrNotRequest is returned by NewReply for a message that was not
	// sent by a request (it lacks REPLY_TO_CLIENT or CORRELATION_ID).
	ErrNotRequest = errors.New("client: message is not a request")
)

// BrokerError is a non-success answer from a broker or name server. It
// wraps the remoting error for its code, so errors.Is matches
// remoting.ErrTopicNotExist and friends and remoting.IsRetriable works.
type BrokerError struct {
	Addr    string // who answered
	Request string // the request's name, e.g. SEND_MESSAGE
	Err     error  // *remoting.Error
}

func (e *BrokerError) Error() string {
	return fmt.Sprintf("client: %s to %s: %v", e.Request, e.Addr, e.Err)
}

// Unwrap returns the remoting error.
func (e *BrokerError) Unwrap() error { return e.Err }

// Is lets errors.Is(err, ErrTopicNotExist) hold for a TOPIC_NOT_EXIST
// answer too.
func (e *BrokerError) Is(target error) bool {
	return target == ErrTopicNotExist && errors.Is(e.Err, &remoting.Error{Code: remoting.TopicNotExist})
}

// brokerError builds the error for an answer with a non-success code.
func brokerError(addr string, req *remoting.Command, resp *remoting.Command) error {
	return &BrokerError{Addr: addr, Request: remoting.RequestName(req.Code), Err: remoting.ErrorForCode(resp.Code, resp.Remark)}
}
