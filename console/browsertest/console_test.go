package browsertest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/protocol/message"
)

// The console in headless Chromium against a broker holding data. The
// subtests share the broker and the browser; each fails on its own.
func TestConsoleInChromium(t *testing.T) {
	f := newFixture(t)
	b := newBrowser(t, f.url)
	orders, err := f.adm.QueryByKey(t.Context(), admin.Query{Topic: ordersTopic, Key: "order-7"})
	if err != nil || len(orders) != 1 {
		t.Fatalf("order-7: %d messages, %v", len(orders), err)
	}

	// Every page renders, without an error banner and without anything
	// written to the console as an error (exceptions, failed requests).
	t.Run("PagesLoadWithoutErrors", func(t *testing.T) {
		if screenshots() {
			// Charts with some history for the pictures: traffic on
			// another topic while 25 samples are taken.
			stop := f.traffic(t, "shipments")
			b.open(t, "cluster")
			b.waitJS(t, "25 samples", `(() => { const c = document.getElementById("tps-chart"); return c && +c.dataset.points >= 25; })()`)
			stop()
		}
		for _, p := range []struct{ name, route, ready string }{
			{"cluster", "cluster", `document.querySelector("#brokers tbody td") !== null`},
			{"topics", "topics", `[...document.querySelectorAll("#topics a")].some(a => a.textContent === "orders")`},
			{"topic", "topic?topic=" + ordersTopic, `document.querySelectorAll("#queues tbody tr").length > 0`},
			{"groups", "groups", `[...document.querySelectorAll("#groups a")].some(a => a.textContent === "billing")`},
			{"group", "group?group=" + billingGroup, `document.getElementById("total-lag") !== null`},
			{"messages", "messages?mode=time&topic=" + ordersTopic, `document.querySelectorAll("#messages tbody tr a").length > 0`},
			{"message", "message?id=" + orders[0].OffsetMsgID(), `document.getElementById("message-body") !== null`},
			{"dlq", "dlq?group=" + dlqGroup, `document.querySelectorAll("#dlq button.resend").length > 0`},
			{"reset", "reset?group=" + billingGroup + "&topic=" + ordersTopic, `document.querySelector("input[name=time]") !== null`},
			{"send", "send?topic=" + ordersTopic, `document.querySelector("textarea[name=body]") !== null`},
		} {
			b.open(t, p.route)
			b.waitJS(t, p.name+" content", p.ready)
			if p.name == "cluster" || p.name == "topic" {
				b.waitJS(t, p.name+" chart", `document.querySelector("svg.chart polyline") !== null`)
			}
			b.screenshot(t, p.name)
			if errs := b.errors(); len(errs) > 0 {
				t.Fatalf("page %s wrote errors to the console: %q", p.name, errs)
			}
		}
	})

	// The group page's lag chart ends at the group's lag, and the total
	// shown is the broker's figure.
	t.Run("LagChartShowsLag", func(t *testing.T) {
		want := f.lag(t)
		if want != ordersLag {
			t.Fatalf("the admin client reads billing's lag as %d, want %d", want, ordersLag)
		}
		b.open(t, "group?group="+billingGroup)
		b.waitJS(t, "two lag samples", `(() => { const c = document.getElementById("lag-chart"); return c && +c.dataset.points >= 2; })()`)
		last := eval[string](t, b, `document.getElementById("lag-chart").dataset.last`)
		if last != strconv.FormatInt(want, 10) {
			t.Fatalf("the lag chart ends at %q, want %d", last, want)
		}
		if label := eval[string](t, b, `document.querySelector("#lag-chart text.last").textContent`); !strings.HasPrefix(label, fmt.Sprint(want)) {
			t.Fatalf("the lag chart's label is %q, want %d msgs", label, want)
		}
		if total := eval[string](t, b, `document.getElementById("total-lag").textContent`); total != fmt.Sprint(want) {
			t.Fatalf("the total lag shown is %q, want %d", total, want)
		}
		// The per-queue rows add up to the same figure.
		sum := eval[float64](t, b, `[...document.querySelectorAll("#group-queues tbody td.lag")].reduce((s, td) => s + Number(td.textContent.replace(/,/g, "")), 0)`)
		if int64(sum) != want {
			t.Fatalf("the per-queue lags add up to %v, want %d", sum, want)
		}
	})

	// Searching by key through the form finds the message, and its page
	// shows the body pretty-printed.
	t.Run("KeySearchShowsBody", func(t *testing.T) {
		b.open(t, "messages?mode=key")
		b.run(t, "search order-7",
			chromedpSetValue(`#message-search input[name=topic]`, ordersTopic),
			chromedpSetValue(`#message-search input[name=key]`, "order-7"),
			chromedpClick(`#message-search button[type=submit]`))
		b.waitJS(t, "one result", `document.querySelectorAll("#messages tbody tr a").length === 1`)
		if id := eval[string](t, b, `document.querySelector("#messages tbody tr a").textContent`); id != orders[0].MsgID() {
			t.Fatalf("the search found %q, want %s", id, orders[0].MsgID())
		}
		b.run(t, "open the message", chromedpClick(`#messages tbody tr a`))
		b.waitJS(t, "the message page", `document.getElementById("page").dataset.page === "message" && document.getElementById("message-body") !== null`)
		body := eval[string](t, b, `document.getElementById("message-body").textContent`)
		want := "{\n  \"order\": 7,\n  \"customer\": \"c-0\",\n  \"items\": [\n    \"book\",\n    \"pen\"\n  ],\n  \"total\": 17.5\n}"
		if body != want {
			t.Fatalf("the message page shows the body\n%s\nwant\n%s", body, want)
		}
		consumed := eval[string](t, b, `[...document.querySelectorAll("#consumed-by tbody tr")].map(r => r.textContent).join("|")`)
		if !strings.Contains(consumed, billingGroup+"consumed") {
			t.Fatalf("consumed-by shows %q, want billing as consumed (order-7 is among the first %d)", consumed, ordersConsumed)
		}
		if errs := b.errors(); len(errs) > 0 {
			t.Fatalf("console errors: %q", errs)
		}
	})

	// Resending the dead letter from the DLQ page delivers it to the
	// group's consumer again.
	t.Run("DLQResendDelivers", func(t *testing.T) {
		b.open(t, "dlq?group="+dlqGroup)
		b.waitJS(t, "the dead letter", `document.querySelectorAll("#dlq button.resend").length === 1`)
		if to := eval[string](t, b, `document.querySelector("#dlq tbody tr").children[7].textContent`); to != paymentsTopic {
			t.Fatalf("the DLQ page says the message was sent to %q, want %s", to, paymentsTopic)
		}
		dead := eval[string](t, b, `document.querySelector("#dlq tbody tr a").textContent`)
		b.run(t, "resend", chromedpClick(`#dlq button.resend`))
		b.waitJS(t, "the resend confirmation", `document.querySelector("#resend-result .ok") !== null`)
		select {
		case m := <-f.resent:
			if m.Topic != paymentsTopic || string(m.Body) != `{"payment":"p-1","amount":12.5}` ||
				!strings.Contains(strings.Join(m.Keys, " "), poisonKey) || m.Property("origin") != "checkout" {
				t.Fatalf("the resent message: topic %s, body %s, keys %v, origin %q", m.Topic, m.Body, m.Keys, m.Property("origin"))
			}
			if id := m.Property("DLQ_ORIGIN_MSG_ID"); id != dead {
				t.Fatalf("the resent message names %q as its dead letter, the DLQ page showed %q", id, dead)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("no consumer of " + dlqGroup + " received the resent message in 60s")
		}
		if n, err := f.adm.TopicStatus(t.Context(), message.DLQTopic(dlqGroup)); err != nil || n[0].MaxOffset != 1 {
			t.Fatalf("the DLQ after the resend: %+v %v (the copy is consumed, not dead-lettered again)", n, err)
		}
		if errs := b.errors(); len(errs) > 0 {
			t.Fatalf("console errors: %q", errs)
		}
	})
}
