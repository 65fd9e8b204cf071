package starter_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/starter"
	"github.com/rocketkit/rocketkit/starter/startertest"
)

// SQLRangeListener takes the messages whose property a is 10..14.
type SQLRangeListener struct {
	listener.Concurrent `topic:"${billing.topic}" sql:"a >= 10 AND a < 15"`
	in                  *inbox
}

func (l *SQLRangeListener) Handle(_ context.Context, m *listener.Message) error {
	l.in.add(m)
	return nil
}

// sqlQuietWindow is how long nothing more may arrive after the matching
// messages did.
const sqlQuietWindow = 2 * time.Second

// A listener with a sql selector runs on the embedded broker, which
// filters by the messages' properties: of a = 0..19 it receives exactly
// a = 10..14, on either client.
func TestSQLListenerOnEmbeddedBroker(t *testing.T) {
	for _, which := range []string{starter.ClientRocketKit, starter.ClientOfficial} {
		t.Run(which, func(t *testing.T) {
			l := &SQLRangeListener{in: newInbox()}
			topic := "sql-" + which
			app := startertest.New(t,
				startertest.Config(map[string]any{"rocketmq.client": which, "billing.topic": topic}),
				startertest.Listener(func() *SQLRangeListener { return l }))
			for i := range 20 {
				res, err := app.Template.Send(sendCtx(t), topic, "m"+strconv.Itoa(i), starter.WithProperty("a", strconv.Itoa(i)))
				if err != nil || res.Status != starter.SendOK {
					t.Fatalf("send: %+v, %v", res, err)
				}
			}
			l.in.waitFor(t, 5, 30*time.Second)
			quiet := time.NewTimer(sqlQuietWindow)
			<-quiet.C
			var got []string
			for _, m := range l.in.snapshot() {
				got = append(got, string(m.Body)+" a="+m.Property("a"))
			}
			slices.Sort(got)
			if want := []string{"m10 a=10", "m11 a=11", "m12 a=12", "m13 a=13", "m14 a=14"}; !slices.Equal(got, want) {
				t.Errorf("received %v, want %v", got, want)
			}
		})
	}
}
