// Package client is RocketKit's own Apache RocketMQ client: a pure-Go
// implementation of the remoting protocol's producer and push consumer,
// built on the repository's codecs (protocol/remoting, protocol/message,
// protocol/payload). It talks to Apache RocketMQ 4.x and 5.x brokers (the
// remoting protocol) and to the rocketkit broker alike.
//
// # Why a client of our own
//
// The official Go client (github.com/apache/rocketmq-client-go/v2) races in
// its orderly consumer (a service's `go test -race` fails), writes every
// request in four syscalls on a connection per client instance, and needs
// workarounds at shutdown. This client is race-free, shares one pipelined,
// write-coalescing connection per broker among every producer and consumer
// of a Client, takes a context on every call that blocks, and drains and
// unlocks cleanly on Close. The official client stays in the kit as a
// second backend and as the oracle this one is tested against (interop and
// golden-frame tests).
//
// # Shape
//
// A Client is one process's presence in one cluster: connections, topic
// routes (refreshed every 30 s and on demand), heartbeats, and the requests
// brokers send (transaction check-backs, member changes). Producers and
// consumers are made from it:
//
//	c, err := client.New(client.Config{NameServers: []string{"127.0.0.1:9876"}})
//	p, err := c.NewProducer(client.ProducerConfig{Group: "orders-producer"})
//	res, err := p.Send(ctx, &client.Message{Topic: "orders", Tag: "created", Body: body})
//
// A push consumer calls a Handler with the messages of its subscriptions
// and commits what the handler finished:
//
//	con, err := c.NewConsumer(client.ConsumerConfig{Group: "billing",
//		Subscriptions: []client.Subscription{{Topic: "orders", Expression: "created || paid"}}},
//		func(ctx context.Context, msgs []*client.MessageExt) client.ConsumeResult {
//			return client.ConsumeSuccess // or ConsumeRetry, ConsumeDeadLetter
//		})
//	err = con.Start(ctx)
//	defer con.Close(ctx) // stops pulling, drains handlers, commits, unlocks
//
// Clustering consumers of a group split its queues exactly as Java's
// AllocateMessageQueueAveragely does, so a group may mix this client with
// the official Go client or Java clients. Orderly consumers lock their
// queues before pulling, consume each queue on one goroutine, and unlock
// when a queue moves or the consumer closes, so another member takes over
// at once. Broadcasting consumers keep offsets in ConsumerConfig.OffsetDir.
//
// Request-reply (RocketMQ 4.6+): Producer.Request sends a request and
// waits until ctx's deadline for its reply, which a responder builds with
// NewReply from the request it consumed and sends like any message; the
// broker pushes it back (ExampleProducer_Request). Java and official Go
// clients may be on either side.
//
// Close producers and consumers first, the Client last.
//
// # Masters and slaves
//
// A broker group (one broker name) has a master (broker id 0) and may have
// slaves, and the client treats them as Java's client does. Producers use
// the queues of groups whose route has a master, and send to the master
// only: when a master leaves the routes (it stopped, or the name servers
// dropped it), sends move to the other groups at the next route refresh,
// and come back when it returns. A consumer pulls each queue from the
// broker the last pull's answer suggested (suggestWhichBrokerId), else
// from the master, else from a slave, so a group whose master is down is
// read from its slave; committed offsets are read and written at the
// master, or at a slave while there is none. Send-backs and orderly queue
// locks go to the master only: while it is down, a message a handler failed
// is sent, as Java's consumer does, to the group's retry topic on another
// group's master (redelivered locally only when that fails too), and the
// group's orderly queues pause. Heartbeats
// go to slaves too once the client has a consumer.
//
// # Wire behaviour
//
// Requests carry the fields, codes and value formats the official Go
// client sends (SEND_MESSAGE with long header keys, SEND_BATCH_MESSAGE with
// short ones, HEART_BEAT bodies, END_TRANSACTION), so a broker cannot tell
// the two apart; where the official client is wrong the Java client is
// followed instead: message ids (UNIQ_KEY) in Java's layout and on batched
// messages too, ACL signatures that include the security token, queue
// allocation exactly as AllocateMessageQueueAveragely.
package client
