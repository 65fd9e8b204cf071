package starter_test

import (
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
	_ "github.com/rocketkit/rocketkit/transport/official" // registers rocketmq.client official
)

// rocketmq.client picks the client underneath; the application sees no
// difference. Orderly listeners are left out on the official client: its
// orderly consumer races (see transport/official).
func TestEitherClientRunsTheApp(t *testing.T) {
	for _, which := range []string{starter.ClientRocketKit, starter.ClientOfficial} {
		t.Run(which, func(t *testing.T) {
			l := &ConfiguredListener{in: newInbox()}
			app := startertest.New(t,
				// From the first offset: the sends below may land before a new
				// group's queues are assigned (from the last offset they would
				// then be skipped, as on a RocketMQ 5 broker).
				startertest.Config(map[string]any{"rocketmq.client": which, "billing.topic": "choice-" + which, "billing.consumers": 2,
					"rocketmq.consumer.consume-from-where": "first"}),
				startertest.Listener(func() *ConfiguredListener { return l }))
			backend, err := app.Endpoint.Backend()
			if err != nil || backend.Name() != which {
				t.Fatalf("backend %v, %v; want %s", backend, err, which)
			}
			for _, body := range []string{"a", "b", "c"} {
				res, err := app.Template.Send(sendCtx(t), "choice-"+which+":tag", body, starter.WithKeys("k-"+body))
				if err != nil || res.Status != starter.SendOK {
					t.Fatalf("send: %+v, %v", res, err)
				}
			}
			got := l.in.waitFor(t, 3, 30*time.Second)
			for _, m := range got {
				if m.Tag != "tag" || len(m.Keys) != 1 || m.Keys[0] != "k-"+string(m.Body) {
					t.Errorf("received %+v", m)
				}
			}
		})
	}
}
