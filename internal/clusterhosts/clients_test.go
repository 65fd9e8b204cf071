package clusterhosts_test

// The two clients the drivers use, behind one shape: ours (package
// client) and the official Go client.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/internal/clientlog"
)

// Client names in driver inputs.
const (
	kitClient      = "kit"
	officialClient = "official"
)

// Send statuses as the drivers record them: the Java names, and ERROR for
// a send that returned an error.
const (
	statusOK               = "SEND_OK"
	statusFlushSlaveTimout = "FLUSH_SLAVE_TIMEOUT"
	statusSlaveNotAvail    = "SLAVE_NOT_AVAILABLE"
	statusError            = "ERROR"
)

// routeRefresh is how often the kit's drivers refresh routes: a broker
// that died or came back is seen within it. brokerBackoff is how long
// their producers avoid a broker after a failed send (doubled for each
// failure in a row, up to 8 times: the in-flight sends a crash fails
// count as several).
const (
	routeRefresh  = time.Second
	brokerBackoff = 2 * time.Second
)

// sender sends one message and says how it went.
type sender interface {
	send(ctx context.Context, topic string, body []byte) (status, broker string, err error)
	close()
}

func newSender(kind string, nameServers []string, group string, timeout time.Duration) (sender, error) {
	switch kind {
	case kitClient:
		c, err := client.New(kitConfig(nameServers), client.WithLogger(driverLog()))
		if err != nil {
			return nil, err
		}
		p, err := c.NewProducer(client.ProducerConfig{Group: group, SendTimeout: timeout})
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		return &kitSender{c: c, p: p}, nil
	case officialClient:
		routeOfficialLog()
		p, err := producer.NewDefaultProducer(producer.WithNameServer(slices.Clone(nameServers)),
			producer.WithGroupName(group), producer.WithRetry(2), producer.WithSendMsgTimeout(timeout))
		if err != nil {
			return nil, err
		}
		if err := p.Start(); err != nil {
			return nil, err
		}
		return &officialSender{p: p}, nil
	}
	return nil, fmt.Errorf("no client %q", kind)
}

func kitConfig(nameServers []string) client.Config {
	return client.Config{NameServers: slices.Clone(nameServers), RouteRefreshInterval: routeRefresh,
		HeartbeatInterval: 5 * time.Second, RequestTimeout: 3 * time.Second, BrokerBackoff: brokerBackoff}
}

type kitSender struct {
	c *client.Client
	p *client.Producer
}

func (s *kitSender) send(ctx context.Context, topic string, body []byte) (string, string, error) {
	res, err := s.p.Send(ctx, &client.Message{Topic: topic, Body: body, Keys: []string{keyOf(body)}})
	if err != nil {
		return statusError, "", err
	}
	return res.Status.String(), res.Queue.BrokerName, nil
}

func (s *kitSender) close() {
	_ = s.p.Close()
	_ = s.c.Close()
}

type officialSender struct{ p rocketmq.Producer }

func (s *officialSender) send(ctx context.Context, topic string, body []byte) (string, string, error) {
	msg := primitive.NewMessage(topic, body)
	msg.WithKeys([]string{keyOf(body)})
	res, err := s.p.SendSync(ctx, msg)
	if err != nil {
		return statusError, "", err
	}
	status := map[primitive.SendStatus]string{primitive.SendOK: statusOK,
		primitive.SendFlushDiskTimeout: "FLUSH_DISK_TIMEOUT", primitive.SendFlushSlaveTimeout: statusFlushSlaveTimout,
		primitive.SendSlaveNotAvailable: statusSlaveNotAvail}[res.Status]
	if status == "" {
		status = fmt.Sprintf("STATUS_%d", res.Status)
	}
	broker := ""
	if res.MessageQueue != nil {
		broker = res.MessageQueue.BrokerName
	}
	return status, broker, nil
}

func (s *officialSender) close() { _ = s.p.Shutdown() }

// startReceiver starts a clustering push consumer of group reading topic
// from its first offset, calling got with each message's body and the
// broker name of its queue; stop closes it.
func startReceiver(ctx context.Context, kind string, nameServers []string, topic, group string,
	got func(body, broker string)) (stop func(), err error) {
	switch kind {
	case kitClient:
		c, err := client.New(kitConfig(nameServers), client.WithLogger(driverLog()))
		if err != nil {
			return nil, err
		}
		con, err := c.NewConsumer(client.ConsumerConfig{Group: group, ConsumeFrom: client.ConsumeFromFirstOffset,
			Subscriptions: []client.Subscription{{Topic: topic}}, RebalanceInterval: 2 * time.Second},
			func(_ context.Context, msgs []*client.MessageExt) client.ConsumeResult {
				for _, m := range msgs {
					got(intact(m.Body, strings.Join(m.Keys, " ")), m.Queue.BrokerName)
				}
				return client.ConsumeSuccess
			})
		if err == nil {
			err = con.Start(ctx)
		}
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		return func() {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			_ = con.Close(ctx)
			_ = c.Close()
		}, nil
	case officialClient:
		routeOfficialLog()
		pc, err := consumer.NewPushConsumer(consumer.WithNameServer(slices.Clone(nameServers)),
			consumer.WithGroupName(group), consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
		if err != nil {
			return nil, err
		}
		err = pc.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				broker := ""
				if m.Queue != nil {
					broker = m.Queue.BrokerName
				}
				got(intact(m.Body, m.GetKeys()), broker)
			}
			return consumer.ConsumeSuccess, nil
		})
		if err == nil {
			err = pc.Start()
		}
		if err != nil {
			return nil, err
		}
		return func() { _ = pc.Shutdown() }, nil
	}
	return nil, fmt.Errorf("no client %q", kind)
}

// keyOf is the key (KEYS) every load message carries: derived from its
// body, so a receiver can tell the two arrived together and intact.
func keyOf(body []byte) string { return "k-" + string(body) }

// intact is the body a receiver reports: the body itself when the
// message's keys are keyOf(body), else a marker no sender sent, so the
// wanted body counts as lost.
func intact(body []byte, keys string) string {
	if keys != keyOf(body) {
		return "mangled(" + string(body) + " keys " + keys + ")"
	}
	return string(body)
}

// driverLog is the clients' logger in a driver: warnings and errors to
// stderr, which the test logs when it fails.
func driverLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func routeOfficialLog() { clientlog.Route(driverLog()) }

// shortErr is the first line of err's message, cut to 200 bytes.
func shortErr(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
