// Package console is RocketKit's web console: an http.Handler over an
// admin.Client that serves a JSON API and the pages using it, for the
// embedded broker or any Apache RocketMQ cluster (remoting protocol).
// `rocketkit broker --http ADDR` serves it beside the embedded broker,
// `rocketkit console -n host:port --http ADDR` against any cluster.
//
// # Pages
//
// Cluster (brokers, roles, disk, TPS over time), topics (queues, min and
// max offsets, message rate over time), consumer groups (members with
// their client language and version, lag per queue and over time),
// messages (search by key, by id or by time range; the body with JSON
// pretty-printed; which groups consumed it), dead-letter queues (view and
// resend), offset reset, and sending a test message. The pages are plain
// HTML, CSS and JavaScript embedded in the binary with go:embed: no build
// step, nothing fetched from elsewhere, charts drawn as inline SVG.
//
// # Sampling
//
// Console.Run samples the cluster every Config.SampleInterval (5s) into
// bounded in-memory ring buffers (Config.History points per series, at
// most 4*Config.MaxSampled+16 series): the brokers' TPS, each topic's
// message rate and each group's total lag, for at most Config.MaxSampled
// topics and groups per tick. Nothing is persisted: a restart starts the
// charts afresh.
//
// # Bounded queries
//
// No request lists a whole topic: topic and group lists are paginated
// (names only, lag for the page's groups), message searches read at most
// 100 messages per page (a time range queue by queue with a cursor,
// starting from the broker's offset-by-time lookup), and a topic's page
// reads only its queues' offsets. A topic of a million messages costs the
// same as one of ten: BenchmarkConsoleScale (task bench-console) times
// every call on one, each within a few milliseconds on a 2-core box
// (figures in docs/console/README.md).
//
// # Security
//
// The console signs every request as the admin.Client's account
// (admin.Config.Credentials), so the cluster's ACL decides what it may
// read and change; it never puts credentials in a page, an API answer or
// a log line. State-changing calls (POST /api/send, /api/reset,
// /api/dlq/resend) need the session's CSRF token in the X-Console-Token
// header (GET /api/session gives it, and another origin cannot read it),
// a JSON body, and, where the browser sends them, a same-origin Origin and
// Sec-Fetch-Site. Requests whose Host is not an IP literal, "localhost" or
// one of Config.AllowedHosts are refused (DNS rebinding). The pages set a
// strict Content-Security-Policy and put every value in as text. The CLI
// binds to loopback by default. The console has no login of its own:
// whoever reaches its port acts as its account.
//
// # Dead letters
//
// Resending a dead-lettered message sends a copy (body, tag, keys, user
// properties, and DLQ_ORIGIN_MSG_ID naming the dead-lettered copy) to the
// topic it was first sent to, through the Sender given with WithSender (a
// client.Producer): the group's consumers get it again, and so does every
// other group subscribed to that topic.
package console
