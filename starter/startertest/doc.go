// Package startertest runs an application with starter.Module in a test,
// like fxtest does for fx: New builds and starts it against an
// in-process broker and stops it when the test ends.
//
//	app := startertest.New(t, startertest.Listener(NewBillOrders))
//	if _, err := app.Template.Send(t.Context(), "orders:created", order); err != nil {
//		t.Fatal(err)
//	}
//
// Unless the test configures rocketmq.name-server, the app runs the
// embedded broker with test-friendly settings: delay levels of tens of
// milliseconds (so retries come back at once), 2s pull holds, 5s orderly
// lock expiry, a 5s shutdown timeout, and a service name derived from the
// test's name (so derived groups never collide between tests). ROCKETMQ_*
// environment variables still override everything.
package startertest
