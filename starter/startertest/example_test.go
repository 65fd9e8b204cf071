package startertest_test

import (
	"context"
	"testing"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// Greeter is an application listener under test.
type Greeter struct {
	listener.Concurrent `topic:"greetings" tags:"hello"`
	seen                chan string
}

func (g *Greeter) Handle(_ context.Context, m *listener.Message) error {
	g.seen <- string(m.Body)
	return nil
}

// A test runs the application's listeners with starter.Module on an
// embedded broker of its own, sends through the app's Template and waits
// for the listener; the app stops when the test ends.
func ExampleNew() {
	_ = func(t *testing.T) {
		g := &Greeter{seen: make(chan string, 1)}
		app := startertest.New(t,
			startertest.Config(map[string]any{"rocketmq.consumer.consume-from-where": "first"}),
			startertest.Listener(func() *Greeter { return g }),
		)
		if _, err := app.Template.Send(t.Context(), "greetings:hello", []byte("hi")); err != nil {
			t.Fatal(err)
		}
		if got := <-g.seen; got != "hi" {
			t.Errorf("listener got %q", got)
		}
	}
}
