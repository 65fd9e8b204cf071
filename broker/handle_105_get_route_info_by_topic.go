package broker

// GET_ROUTEINFO_BY_TOPIC (105), a name-server request.
//
// Behavior: wire doc §5.1. Any valid topic is answered, auto-creating it
// unless auto-creation is disabled (then TOPIC_NOT_EXIST, and the producer
// falls back to TBW102). %RETRY% and %DLQ% topics always exist, with one
// queue, so retries are routable from the first lookup. The body is compact
// JSON with brokerAddrs as the client's hand-written parser needs it.
//
// With Config.NamesrvAddr the broker is not a name server: the request is
// answered REQUEST_CODE_NOT_SUPPORTED naming the name servers, as a Java
// broker answers it.
//
// Deviations: orderTopicConf is always empty.

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() { register(remoting.GetRouteInfoByTopic, handleGetRouteInfo) }

func handleGetRouteInfo(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	if resp := b.notNameServer(req); resp != nil {
		return resp
	}
	topic := req.ExtFields.Get("topic")
	tc, err := b.topics.ensure(topic, 0)
	if err != nil || tc.system() {
		remark := "No topic route info in name server for the topic: " + topic
		if err != nil {
			remark += " (" + err.Error() + ")"
		}
		return errorResponse(req, remoting.TopicNotExist, remark)
	}
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.Body = b.appendRoute(nil, tc)
	return resp
}
