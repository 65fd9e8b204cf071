package broker

// UNREGISTER_CLIENT (35).
//
// Behavior: removes clientID from consumerGroup and producerGroup and tells
// the group's other members to rebalance. The Go client never sends it
// (it just closes its connections, which has the same effect); Java
// clients do.

import "github.com/rocketkit/rocketkit/protocol/remoting"

func init() { register(remoting.UnregisterClient, handleUnregisterClient) }

func handleUnregisterClient(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	f := req.ExtFields
	b.clients.unregister(f.Get("clientID"), f.Get("consumerGroup"), f.Get("producerGroup"))
	return remoting.NewResponse(req, remoting.Success, "")
}
