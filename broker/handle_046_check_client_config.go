package broker

// CHECK_CLIENT_CONFIG (46).
//
// Behavior: the Java client sends it at start for every subscription that
// is not by tag (MQClientInstance.checkClientInBroker) and fails to start
// when it is refused. The body is Java's CheckClientRequestBody: clientId,
// group and subscriptionData. A TAG subscription, or none, is SUCCESS; a
// SQL92 expression that compiles (package sqlfilter) is SUCCESS; one that
// does not is SUBSCRIPTION_PARSE_FAILED with the compile error, its line
// and column, as remark (Java's remark is the MQFilterException message).
//
// Deviations: an undecodable body is SYSTEM_ERROR with the decoding error
// (Java's fastjson failure surfaces the same way); enablePropertyFilter is
// always on here, so SQL92 is never refused as unsupported. An expression
// type other than TAG or SQL92 is SUBSCRIPTION_PARSE_FAILED (Java finds no
// filter for it and fails the same way).

import (
	"encoding/json"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.CheckClientConfig, handleCheckClientConfig) }

// checkClientBody is Java's CheckClientRequestBody.
type checkClientBody struct {
	ClientID     string        `json:"clientId"`
	Group        string        `json:"group"`
	Subscription *Subscription `json:"subscriptionData"`
}

func handleCheckClientConfig(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	var body checkClientBody
	if len(req.Body) > 0 {
		if err := json.Unmarshal(req.Body, &body); err != nil {
			return errorResponse(req, remoting.SystemError, "CHECK_CLIENT_CONFIG body: "+err.Error())
		}
	}
	if body.Subscription != nil {
		if f := newSubFilter(*body.Subscription); f.sqlErr != nil {
			b.log.Warn("client's filter expression does not compile", "client", body.ClientID, "group", body.Group,
				"topic", body.Subscription.Topic, "remote", c.remote.String(), "err", f.sqlErr)
			return errorResponse(req, remoting.SubscriptionParseFailed, f.sqlErr.Error())
		}
	}
	return remoting.NewResponse(req, remoting.Success, "")
}
