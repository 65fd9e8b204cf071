// Package browsertest drives the web console of package
// github.com/rocketkit/rocketkit/console in a real headless Chromium
// (Debian's chromium package) through chromedp, against an embedded broker
// holding data: every page loads without a JavaScript error, the lag chart
// shows a lagging group's lag, a message found by key shows its body, and
// a dead letter resent from the DLQ page reaches a consumer.
//
// It is a module of its own so that chromedp never enters the kit's module
// graph. Run it with `task test-browser` (part of `task test`). The tests
// fail, never skip, when Chromium is missing: install it with
// `apt-get install -y chromium`, or point $CHROMIUM at a binary.
// With $ROCKETKIT_CONSOLE_SCREENSHOTS set to a directory the tests save a
// screenshot of each page there (`task console-screenshots` writes
// docs/console/*.png).
package browsertest
