package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds Chromium: $CHROMIUM, else chromium or
// chromium-browser on $PATH. A missing browser fails the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium not found (the browser tests never skip): install it with `apt-get install -y chromium`, or set $CHROMIUM to its binary")
	return ""
}

// browser is one headless Chromium tab and what its pages wrote to the
// console.
type browser struct {
	ctx  context.Context
	base string // the console's URL

	mu       sync.Mutex
	messages []string // console errors, uncaught exceptions, browser-log errors
}

// newBrowser starts headless Chromium (no sandbox, no background
// networking, every host name but the loopback address unresolvable) with
// one tab on the console at base, and stops it when the test ends.
func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{ctx: ctx, base: base}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.messages = append(b.messages, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		<-done
	})
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, log.Enable, cdp.Empty{})
		return err
	}), chromedp.Navigate(base+"/")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return b
}

// errors returns what the pages wrote to the console as errors so far.
func (b *browser) errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.messages...)
}

// run runs actions with a generous deadline.
func (b *browser) run(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v; console errors: %q", what, err, b.errors())
	}
}

// eval evaluates a JavaScript expression and returns its value.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until a JavaScript expression is truthy.
func (b *browser) waitJS(t *testing.T, what, expr string) {
	t.Helper()
	b.run(t, "wait for "+what, func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[any](expr, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(45*time.Second))(ctx, tg)
		return chromedp.Void{}, err
	})
}

// open shows a page of the console (a hash route such as
// "group?group=billing") and waits until it is rendered without an error
// banner.
func (b *browser) open(t *testing.T, route string) {
	t.Helper()
	page, _, _ := strings.Cut(route, "?")
	b.run(t, "open "+route, chromedp.Evaluate[chromedp.Void](
		`document.getElementById("page").dataset.page = ""; location.hash = `+strconv.Quote("#/"+route)))
	b.waitJS(t, "page "+page, `document.getElementById("page").dataset.page === `+strconv.Quote(page))
	if msg := eval[string](t, b, `document.getElementById("error").hidden ? "" : document.getElementById("error").textContent`); msg != "" {
		t.Fatalf("page %s shows an error: %s", route, msg)
	}
}

// screenshots reports whether the test saves screenshots.
func screenshots() bool { return os.Getenv("ROCKETKIT_CONSOLE_SCREENSHOTS") != "" }

// screenshot saves the tab as $ROCKETKIT_CONSOLE_SCREENSHOTS/<name>.png
// when that variable is set.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("ROCKETKIT_CONSOLE_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// chromedpSetValue sets an input's value.
func chromedpSetValue(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), value)
}

// chromedpClick clicks the first element sel matches.
func chromedpClick(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(sel))
}
