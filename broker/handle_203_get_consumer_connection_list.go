package broker

// GET_CONSUMER_CONNECTION_LIST (203).
//
// Behavior: the group's live members in Java's ConsumerConnection shape
// (connectionSet, subscriptionTable, consumeType, messageModel,
// consumeFromWhere), plus "members": every member with its own
// subscriptions, so a conflicting subscription in the group (the study's
// S6 pitfall, see examples/scenarios) can be seen. A group without live members gets
// CONSUMER_NOT_ONLINE (206).
//
// Deviations: language and version are the Go client's for every member.

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() { register(remoting.GetConsumerConnectionList, handleGetConsumerConnectionList) }

// consumerNotOnline is Java's CONSUMER_NOT_ONLINE response code.
const consumerNotOnline = 206

type consumerConnection struct {
	ClientID string `json:"clientId"`
	Addr     string `json:"clientAddr"`
	Language string `json:"language"`
	Version  int    `json:"version"`
}

type subscriptionData struct {
	Topic      string   `json:"topic"`
	SubString  string   `json:"subString"`
	Type       string   `json:"expressionType"`
	TagsSet    []string `json:"tagsSet"`
	SubVersion int64    `json:"subVersion"`
}

func handleGetConsumerConnectionList(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	group := req.ExtFields.Get("consumerGroup")
	members := b.clients.members(group)
	if len(members) == 0 {
		return errorResponse(req, consumerNotOnline, "the consumer group "+group+" is not online")
	}
	body := struct {
		Connections  []consumerConnection        `json:"connectionSet"`
		Subscription map[string]subscriptionData `json:"subscriptionTable"`
		ConsumeType  string                      `json:"consumeType"`
		Model        string                      `json:"messageModel"`
		From         string                      `json:"consumeFromWhere"`
		Members      []MemberInfo                `json:"members"`
	}{Subscription: map[string]subscriptionData{}, Members: members}
	for _, m := range members {
		body.Connections = append(body.Connections, consumerConnection{ClientID: m.ClientID, Addr: m.Addr,
			Language: "GO", Version: 317})
		body.ConsumeType, body.Model, body.From = m.ConsumeType, m.Model, m.ConsumeFromWhere
	}
	for topic, f := range b.clients.groupSubscriptions(group) {
		body.Subscription[topic] = subscriptionData{Topic: topic, SubString: f.sub.Expression,
			Type: f.sub.ExpressionType, TagsSet: f.tags, SubVersion: f.sub.SubVersion}
	}
	return jsonResponse(req, body)
}
